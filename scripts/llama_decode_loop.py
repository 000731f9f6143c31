"""Raw llama.cpp decode speed of a GGUF: prefill one prompt, then 64 greedy tokens through
`create_completion`, three rounds (docs/benchmarks/llamacpp.md, fifth pass).

    python scripts/llama_decode_loop.py FILE.gguf [FILE2.gguf ...]
    NT=1 OMP_WAIT_POLICY=PASSIVE python scripts/llama_decode_loop.py FILE.gguf   # decode threads

NT: decode threads (default 2); prompts always use 2. Files are loaded once and alternate.
"""
import os
import sys
import time

import llama_cpp
from llama_cpp._utils import suppress_stdout_stderr

PROMPT = ("<|im_start|>system\n" + "너는 한국어 쇼핑 도우미야. 주어진 상품 정보만으로 답해. 가격과 정책은 사실 "
          "그대로 쓰고 출처를 밝혀. " * 6 + "<|im_end|>\n<|im_start|>user\n비건 간식 만원 이하로 추천해줘\n상품: "
          "1. 꼬마간식 쌀과자 150g 3,000원 (비건) 2. 바삭공방 현미칩 4,500원 (비건) 3. 오늘의간식 고구마말랭이 "
          "6,900원 (비건, 무가당)<|im_end|>\n<|im_start|>assistant\n")


def main(files: list[str]) -> None:
    models = {}
    for f in files:
        with suppress_stdout_stderr(disable=False):
            models[f] = llama_cpp.Llama(model_path=f, n_ctx=4096, n_batch=512, n_threads=int(os.environ.get("NT", "2")),
                                        n_threads_batch=2, verbose=False)
    for rnd in range(3):
        for f, m in models.items():
            toks = m.tokenize(PROMPT.encode(), add_bos=False, special=True)
            m.reset()
            m.eval(toks[:-1])
            start, n = None, 0
            for _ in m.create_completion(toks, max_tokens=64, temperature=0, top_k=1, repeat_penalty=1.0, stream=True):
                if start is None:
                    start = time.perf_counter()
                else:
                    n += 1
            print(f"{rnd} {os.path.basename(f)} decode {n / (time.perf_counter() - start):.1f} tok/s "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: llama_decode_loop.py FILE.gguf [FILE2.gguf ...]")
    main(sys.argv[1:])
