// The tokenizer peers for `vlm bench`: encodes every line of a corpus with Hugging Face's Rust
// tokenizers (one thread: RAYON_NUM_THREADS=1 is set by the caller) and with its JavaScript port,
// and prints one JSON line per peer: seconds, tokens and a checksum of the ids in order.
// Usage: node tokenize.mjs tokenizer.json tokenizer_config.json corpus.txt
import { readFileSync } from "node:fs";
import { Tokenizer as RustTokenizer } from "@anush008/tokenizers";
import { Tokenizer as JsTokenizer } from "@huggingface/tokenizers";

const [tokenizerJson, tokenizerConfig, corpus] = process.argv.slice(2);
const lines = readFileSync(corpus, "utf8").split("\n").filter(line => line.length > 0);

// The same checksum as the C# side: FNV-1a over (id, line end) in order.
function checksum(idLists) {
  let hash = 2166136261n;
  const prime = 16777619n, mask = 0xffffffffn;
  const mix = v => { hash = ((hash ^ BigInt(v)) * prime) & mask; };
  for (const ids of idLists) { for (const id of ids) mix(id); mix(0xffffffff); }
  return hash.toString();
}

function report(name, version, seconds, idLists) {
  const tokens = idLists.reduce((n, ids) => n + ids.length, 0);
  console.log(JSON.stringify({ peer: name, version, seconds, tokens, checksum: checksum(idLists) }));
}

const rust = RustTokenizer.fromFile(tokenizerJson);
await rust.encodeBatch(lines.slice(0, 100), { addSpecialTokens: false }); // warm up
let start = process.hrtime.bigint();
const rustIds = [];
for (let i = 0; i < lines.length; i += 1000) {
  const batch = await rust.encodeBatch(lines.slice(i, i + 1000), { addSpecialTokens: false });
  for (const encoding of batch) rustIds.push(encoding.getIds());
}
report("@anush008/tokenizers (Rust)", "0.6.0", Number(process.hrtime.bigint() - start) / 1e9, rustIds);

const js = new JsTokenizer(JSON.parse(readFileSync(tokenizerJson, "utf8")), JSON.parse(readFileSync(tokenizerConfig, "utf8")));
for (const line of lines.slice(0, 100)) js.encode(line, { add_special_tokens: false });
start = process.hrtime.bigint();
const jsIds = lines.map(line => js.encode(line, { add_special_tokens: false }).ids);
report("@huggingface/tokenizers (JS)", "0.2.0", Number(process.hrtime.bigint() - start) / 1e9, jsIds);
