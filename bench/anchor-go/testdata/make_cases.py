"""Write testdata/cases.json: arguments of Listening:Anchor's checks and the Python contract's answer.

Run from the repository root after changing a check in chaincode/: ``uv run python
bench/anchor-go/testdata/make_cases.py``; the Go test (rules_test.go) then expects the same answers.
Each case is [check, argument, answer]: the refusal sentence, or "" when the argument passes.
"""

import json
import random
from pathlib import Path

from chaincode import validate
from chaincode.contracts.listening import _counts
from chaincode.errors import Rejected

VALID = '{"rows": 100, "listeners": 40, "plays": 90, "seconds": 18000}'
PIECES = ['"', "\\", "\\u", "\\ud800", "\\udc00", "u12", "{", "}", "[", "]", ",", ":", " ", "\n", "\t", "-",
          "0", "7", "1.5", "e", "E+", "NaN", "Infinity", "-Infinity", "null", "true", "fals", "'", "é",
          "\u2028", "\x01", "\ufeff", "rows", '"rows"', "9" * 30]
FIXED = ["", "[", "{", '{"rows":1', '{"a" 1}', '{"rows":1.5}', '{"rows":' + "9" * 4301 + "}", '"\\x"',
         '"\\u12"', '"ab', '\ufeff{}', " {} x", "1e", "-", "{\"rows\":1,}", "[1,]", '"\\ud800\\udc00"',
         '"a\nb"', '{\n"rows": x}', "1E5", "01", "-0", "[1e5]", '{"rows":-0,"listeners":0,"plays":0,"seconds":0}',
         '{"rows":NaN,"listeners":1,"plays":1,"seconds":1}', '{"rows":true,"listeners":1,"plays":1,"seconds":1}',
         '{"rows":1,"listeners":2,"plays":1,"seconds":1}', '{"rows":3,"listeners":2,"plays":4,"seconds":1}',
         '{"rows":[1,"a\'",{"b":null}],"listeners":1,"plays":1,"seconds":1}',
         '{"rows":"x\'\\"\\u0001\\ud800é\\u2028\\ud83c\\udfb5","listeners":2,"plays":1,"seconds":1}',
         '{"rows":1,"rows":2,"listeners":0,"plays":0,"seconds":0}',
         '{"rows":{"z":1,"a":[],"z":-Infinity},"listeners":0,"plays":0,"seconds":0}',
         '{"rows":2,"listeners":1,"plays":1,"seconds":86401}', '{"rows":2,"listeners":1,"plays":0,"seconds":1}',
         '{"rows":2,"listeners":1,"plays":2,"seconds":172800}', VALID]


def answer(check, argument: str) -> str:
    try:
        check(argument)
    except Rejected as exc:
        return str(exc)
    return ""


def mutations(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        text = list(VALID)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.5 and at < len(text):
                del text[at]
            else:
                text.insert(at, rng.choice(PIECES))
        out.append("".join(text))
    return out


def main() -> None:
    rng = random.Random(15)
    cases = [["counts", text, answer(_counts, text)] for text in FIXED + mutations(rng, 400)]
    for date in ["2026-01-05", "2026-01-05\n", "\u0662\u0660\u0662\u0666-01-05", "2026-02-29", "2024-02-29",
                 "2100-02-29", "2000-02-29", "2026-13-01", "2026-04-31", "2026-1-05", "x"]:
        cases.append(["date", date, answer(validate.date, date)])
    for node in ["n1", "n1\n", "-n1", "a" * 128, "a" * 129, "n 1", "n1@x:y.z-w_v", "é"]:
        cases.append(["ident", node, answer(lambda v: validate.ident("node", v), node)])
    for digest in ["a" * 64, "A" * 64, "a" * 63, "a" * 64 + "\n", "g" * 64]:
        cases.append(["sha256", digest, answer(lambda v: validate.sha256("sha256", v), digest)])
    path = Path(__file__).with_name("cases.json")
    path.write_text(json.dumps(cases, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases written to {path}")


if __name__ == "__main__":
    main()
