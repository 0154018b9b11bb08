"""Expected caption and VQA metrics from the reference implementations, for the project's tests.

Run with Debian's python3 (numpy) and checkouts of the reference code:
  /usr/bin/python3 tests/reference/evaluation/make_expected.py <pycocoevalcap checkout> <GT-Vision-Lab/VQA checkout>
It reads tests/data/evaluation/{captions,vqa}.jsonl (tokenized captions; raw VQA answers) and writes
tests/data/evaluation/expected.json: pycocoevalcap's Bleu(4), Rouge, Cider on the caption cases, and
vqaEval.py's per-question accuracy (unrounded) and overall accuracy on the VQA cases.
"""
import json, os, re, sys, types

coco, vqa = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(coco))
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.cider.cider import Cider

# The repository's current vqaEval.py (2021, "Fixed processing answers bug") is Python 2 only in its two prints.
source = open(os.path.join(vqa, "PythonEvaluationTools", "vqaEvaluation", "vqaEval.py")).read()
source = re.sub(r'print "(.*)"', r'print("\1")', source)
vqa_eval = types.ModuleType("vqaEval"); exec(compile(source, "vqaEval.py", "exec"), vqa_eval.__dict__)

here = os.path.join(os.path.dirname(__file__), "..", "..", "data", "evaluation")
expected = {"caption_sets": [], "vqa": {}}

for line in open(os.path.join(here, "captions.jsonl"), encoding="utf-8"):
    case = json.loads(line)
    gts = {str(i): s["references"] for i, s in enumerate(case["samples"])}
    res = {str(i): [s["prediction"]] for i, s in enumerate(case["samples"])}
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)
    expected["caption_sets"].append({"name": case["name"], "BLEU-1": bleu[0], "BLEU-2": bleu[1], "BLEU-3": bleu[2], "BLEU-4": bleu[3], "ROUGE-L": float(rouge), "CIDEr": float(cider)})

class Raw(vqa_eval.VQAEval):
    def setEvalQA(self, quesId, acc): self.evalQA[quesId] = acc
    def setEvalQuesType(self, *a): pass
    def setEvalAnsType(self, *a): pass
    def updateProgress(self, p): pass

questions = [json.loads(l) for l in open(os.path.join(here, "vqa.jsonl"), encoding="utf-8")]
qa = {i: {"answers": [{"answer": a, "answer_confidence": "yes", "answer_id": j + 1} for j, a in enumerate(q["references"])], "question_type": "t", "answer_type": "a"} for i, q in enumerate(questions)}
res = {i: {"answer": q["prediction"]} for i, q in enumerate(questions)}
gt = types.SimpleNamespace(qa=qa, getQuesIds=lambda: list(qa)); pred = types.SimpleNamespace(qa=res)
evaluator = Raw(gt, pred, n=2)
sys.stdout = open(os.devnull, "w")
evaluator.evaluate()
sys.stdout = sys.__stdout__
expected["vqa"] = {"per_question": [evaluator.evalQA[i] for i in range(len(questions))], "overall_percent_2dp": evaluator.accuracy["overall"]}
json.dump(expected, open(os.path.join(here, "expected.json"), "w"), indent=1)
print("wrote", os.path.join(here, "expected.json"))
