# Copies Hugging Face's reference fixtures (fixture.json, checkpoint, inputs, outputs, README) into the tests.
#
#   python3 copy_fixtures.py <hf-reference folder> <tests/data/hf-reference>
#
# Model fixtures are copied whole. An image-processor fixture keeps only the images listed in KEEP
# below (its inputs.safetensors, outputs.safetensors, fixture.json and images/ cut to them), enough
# to cover every case — landscape, portrait, tiny, PNG, JPEG — at a third of the size; a note at the
# end of its README says so. Fixtures of a family the project does not implement yet (llama, and llava over llama) are left out.
import json, os, shutil, struct, sys

src_root, dst_root = sys.argv[1], sys.argv[2]
SKIP_KINDS = {"llama"}
KEEP = {
    "image-processor-clip": ["landscape.png", "portrait.jpg", "tiny.png", "tiny.jpg"],
    "image-processor-siglip": ["landscape.jpg", "portrait.png", "tiny.png"],
}

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return header, data

def write_safetensors(path, header, data, names):
    meta = header.get("__metadata__")
    out, blobs, offset = {}, [], 0
    for name in names:
        entry = header[name]
        begin, end = entry["data_offsets"]
        blob = data[begin:end]
        out[name] = {"dtype": entry["dtype"], "shape": entry["shape"], "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if meta is not None:
        out["__metadata__"] = meta
    text = json.dumps(out, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)

for name in sorted(os.listdir(src_root)):
    src = os.path.join(src_root, name)
    fixture_path = os.path.join(src, "fixture.json")
    if not os.path.isfile(fixture_path):
        continue
    fixture = json.load(open(fixture_path))
    config_path = os.path.join(src, fixture.get("checkpoint", "-"), "config.json")
    text_type = json.load(open(config_path)).get("text_config", {}).get("model_type") if os.path.isfile(config_path) else None
    if fixture["kind"] in SKIP_KINDS or text_type in SKIP_KINDS:
        continue
    dst = os.path.join(dst_root, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    for root, dirs, files in os.walk(dst):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    keep = KEEP.get(name)
    if keep is None:
        continue
    fixture["images"] = [i for i in fixture["images"] if os.path.basename(i) in keep]
    fixture["tolerance"] = {k: v for k, v in fixture["tolerance"].items() if k.split("_", 2)[-1] in keep}
    with open(os.path.join(dst, "fixture.json"), "w") as f:
        json.dump(fixture, f, indent=2)
        f.write("\n")
    for kind, prefix in (("inputs", "rgb_"), ("outputs", "pixel_values_")):
        path = os.path.join(dst, fixture[kind])
        header, data = read_safetensors(path)
        write_safetensors(path, header, data, [prefix + k for k in keep if prefix + k in header])
    for f in os.listdir(os.path.join(dst, "images")):
        if f not in keep:
            os.remove(os.path.join(dst, "images", f))
    with open(os.path.join(dst, "README.md"), "a") as f:
        f.write("\n## In this project's tests\n\nCut to the images " + ", ".join(keep) +
                " (every case: landscape, portrait, tiny, PNG, JPEG) by `tests/reference/hf-reference/copy_fixtures.py`;"
                " the tensors kept are Hugging Face's, byte for byte.\n")
