// Computes Hugging Face's token ids for the tokenizer parity corpus, with HF's Rust tokenizers
// (the npm package @anush008/tokenizers, a Node build of tokenizers 0.22).
//
//   npm install @anush008/tokenizers@0.6.0
//   node make_expected.js <tokenizer.json> <out folder> [seed]
//
// Writes, in <out folder>:
//   corpus.jsonl          the texts: hand-written cases plus seeded random mixtures
//   expected-qwen2.jsonl  {"text", "ids"} from tokenizer.json as it is (Qwen2 special tokens)
//   expected-qwen.jsonl   {"text", "ids"} for Qwen-7B: the same ranks with Qwen-7B's special tokens
//                         (<|endoftext|>, <|im_start|>, <|im_end|>, <|extra_0..204|> from 151643),
//                         on the NFC-normalized text, as Qwen-7B's own tokenizer normalizes first.
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('@anush008/tokenizers');

const [tokenizerJson, outDir, seedArg] = process.argv.slice(2);
const seed = Number(seedArg ?? 7);

// mulberry32: a small seeded generator, so the corpus is the same on every run.
function rng(a) {
  return () => {
    a |= 0; a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(seed);
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const range = (lo, hi) => String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));

const handWritten = fs.readFileSync(path.join(__dirname, 'cases.txt'), 'utf8')
  .split('\n').filter((l) => l.length > 0 && !l.startsWith('#'))
  .map((l) => JSON.parse(l));

const pools = [
  () => pick(['the', 'The', ' cat', ' dog', 'image', ' is', ' a', 'red', ' circle', 'square', 'blue', 'What', "it's", "I'LL", "we're", "you've", "she'd", "Iſ", "'ſ", "don't"]),
  () => range(0x4E00, 0x9FFF) + (random() < 0.5 ? range(0x4E00, 0x9FFF) : ''),
  () => pick(['这幅图像描述了什么？', '这幅图像中有什么？', '一个男人在街道上骑自行车。', '，', '。', '、', '“', '”']),
  () => range(0x3040, 0x30FF) + range(0xAC00, 0xD7A3),
  () => range(0x0400, 0x04FF) + range(0x0600, 0x06FF) + range(0x0900, 0x097F) + range(0x0E00, 0x0E7F),
  () => range(0x1F300, 0x1FAFF),
  () => pick(['👨‍👩‍👧‍👦', '🏳️‍🌈', '👍🏽', '❤️', '🇨🇳🇺🇸', '🧑‍💻']),
  () => range(0x1D400, 0x1D7FF) + range(0x20000, 0x2A6DF),
  () => pick(['e\u0301', 'a\u0308', '\u1100\u1161', 'n\u0303', 'A\u030A', '\u0301']),
  () => String(Math.floor(random() * 1e6)) + pick(['', '.', ',', '%']) + range(0xFF10, 0xFF19) + range(0x0660, 0x0669) + pick(['½', 'Ⅻ', '²', '①']),
  () => pick([' ', '  ', '   ', '\t', '\t\t', '\n', '\n\n', '\r\n', ' \n ', '\u3000', '\u00A0', '\u2028', '\u2003 ', '\u000B', '\u000C', '\u0085', '\u200B']),
  () => pick(['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<|extra_0|>', '<|extra_204|>', '<|vision_start|>', '<|image_pad|>', '<|vision_end|>', '<think>', '<|im_start', 'im_end|>']),
  () => pick(['def f(x):\n    return x**2', '{"a": [1, 2]}', 'for (int i = 0; i < n; ++i) {', '$$', '!!!', '...', '--', '==>', '#include <stdio.h>', '    ', '\\n']),
  () => pick(['!', '?', '.', ',', ';', ':', '(', ')', '[', ']', '"', "'", '-', '_', '*', '&', '@', '#', '~', '`', '•', '→', '€', '©']),
];

const generated = [];
for (let i = 0; i < 400; i++) {
  const parts = [];
  const n = 1 + Math.floor(random() * 12);
  for (let j = 0; j < n; j++) parts.push(pick(pools)());
  generated.push(parts.join(random() < 0.5 ? '' : pick([' ', '', '\n', '  '])));
}
const texts = [...handWritten, ...generated];

function qwen7bTokenizerJson(file) {
  const t = JSON.parse(fs.readFileSync(file, 'utf8'));
  const first = Object.keys(t.model.vocab).length;
  const names = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', ...Array.from({ length: 205 }, (_, i) => `<|extra_${i}|>`)];
  t.added_tokens = names.map((content, i) => ({ id: first + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const out = path.join(require('os').tmpdir(), `qwen7b-tokenizer-${process.pid}.json`);
  fs.writeFileSync(out, JSON.stringify(t));
  return out;
}

async function encodeAll(file, normalize) {
  const tok = await Tokenizer.fromFile(file);
  const lines = [];
  for (const text of texts) {
    const input = normalize ? text.normalize('NFC') : text;
    const enc = await tok.encode(input, null, { addSpecialTokens: false });
    lines.push(JSON.stringify({ text, ids: Array.from(enc.getIds()) }));
  }
  return lines.join('\n') + '\n';
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'corpus.jsonl'), texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, 'expected-qwen2.jsonl'), await encodeAll(tokenizerJson, false));
  fs.writeFileSync(path.join(outDir, 'expected-qwen.jsonl'), await encodeAll(qwen7bTokenizerJson(tokenizerJson), true));
  console.log(`${texts.length} texts written to ${outDir}`);
})();
