"""The answers evaluation's labels and scoring rules (no index, no model)."""

from assistant.evaluate_answers import answers_first, first_sentence, is_item, policy_rows, product_rows


def test_item_match_uses_terms_then_category():
    label = {"item_terms": ["무선 이어폰", "무선이어폰"], "exclude_terms": ["유선"]}
    assert is_item({"name": "테크온 무선 이어폰 1개"}, label)
    assert not is_item({"name": "테크온 무선 마우스 1개"}, label)
    assert not is_item({"name": "에이온 유선 이어폰 1개"}, {"item_terms": ["이어폰"], "exclude_terms": ["유선"]})
    cat = {"item_terms": [], "category": ["간식·과자"]}
    assert is_item({"name": "x", "category": "간식·과자/과자/스낵"}, cat)
    assert not is_item({"name": "x", "category": "간식·과자류/x"}, cat)


def test_answer_first_rejects_quotes_and_titles():
    assert answers_first("조건이 있어요: 2일 안에 사진과 함께 알려 주세요.\n근거: …")
    assert answers_first("밤 11시(23:00)까지 주문하면 다음 날 아침 7시 전에 도착합니다.")
    assert not answers_first("배송 안내(배송비): 「4만원 이상 무료배송입니다.」 [배송-01]")
    assert not answers_first("「4만원 이상 무료배송입니다.」")
    assert first_sentence("첫 문장이에요. 둘째 문장.") == "첫 문장이에요."


def test_labels_cover_every_eval_query():
    for name in ("dev", "test"):
        rows = policy_rows(name)
        assert rows and all("#" in r["passage"] for r in rows)
        unlabeled = [r["query"] for r in product_rows(name) if not (r["item_terms"] or r["category"])]
        assert len(unlabeled) <= 2, unlabeled        # tag-only specs ("고단백 저지방") are not scored
    assert len(product_rows("blind")) == 120 and len(policy_rows("blind")) == 80
