"""What a request says of the item besides its name ("말린" 망고, "카페인 없는" 차), met by the
store's own description of each product (issue 14: the products shown are the kind asked for)."""

import pytest

pytest.importorskip("kiwipiepy")

from assistant.claims import Claim, analyse, meets, request_claims, text_words  # noqa: E402
from assistant.grounding import Constraints, ground_products  # noqa: E402
from assistant.rerank import features, head_vocabulary, item_query, score  # noqa: E402
from assistant.testing import KeywordRetriever  # noqa: E402
from tests.test_assistant_answers import P  # noqa: E402


@pytest.mark.parametrize("message, item, want", [
    ("말린 망고", ("망고",), (Claim("말리다"),)),
    ("고체 샴푸", ("샴푸",), (Claim("고체"),)),
    ("카페인 없는 차", ("차",), (Claim("카페인", True),)),
    ("맵지 않은 김치", ("김치",), (Claim("맵다", True),)),
    ("가시 없는 생선", ("생선",), (Claim("가시", True),)),
    ("애들 샴푸 눈 안따가운거", ("샴푸",), (Claim("따갑다", True),)),
    ("설탕 안 들어간 요거트", ("요거트",), (Claim("설탕", True),)),
    ("요리용 생 닭가슴살 무항생제로", ("닭가슴살",), (Claim("요리"), Claim("항생제", True))),
    ("식세기 세제요 손설거지용 말고", ("세제",), (Claim("식세기"), Claim("손", True), Claim("설거지", True))),
])
def test_request_claims_leave_out_the_item_and_mark_what_is_ruled_out(message, item, want):
    assert request_claims(message, item) == want


def test_a_negated_verb_of_putting_in_rules_out_its_noun_other_negated_verbs_do_not():
    assert ("밀가루", True) in analyse("밀가루가 들어가지 않습니다.")
    assert ("설탕", True) in analyse("설탕을 따로 넣지 않았습니다.")
    assert ("당", True) in analyse("당을 첨가하지 않아 원재료 맛 그대로입니다.")
    # "손이 닿지 않는 곳": the hand is not absent, only the reaching
    assert ("손", False) in analyse("어린이 손이 닿지 않는 곳에 보관해 주세요.")
    said, absent = text_words("카페인이 없어 잠들기 전에 마시기 좋습니다. 가시를 제거해 먹기 편합니다.")
    assert {"카페인", "가시"} <= absent and "마시다" in said and "카페인" not in said


def test_a_product_meets_a_claim_by_its_description_or_by_the_stores_prefixes():
    caffeine_free = request_claims("카페인 없는 차", ("차",))
    assert meets(caffeine_free, "카페인이 없어 잠들기 전에 마시기 좋습니다.") == 1
    assert meets(caffeine_free, "진하게 우러나는 홍차입니다. 카페인이 들어 있습니다.") == 0
    assert meets(caffeine_free, "", name="디카페인 원두 200g") == 1
    assert meets(request_claims("설탕 없는 초콜릿", ("초콜릿",)), "", name="무설탕 초콜릿 80g") == 1
    assert meets(request_claims("말린 망고", ("망고",)), "쫄깃하게 말린 망고입니다.") == 1
    assert meets(request_claims("말린 망고", ("망고",)), "달고 향이 진한 망고입니다.") == 0
    assert meets((), "아무 설명") == 0


def test_the_described_items_come_first_and_other_things_stay_out():
    rows = [P("M1", "망고", "햇살", "2입", "신선/과일/열대과일", 9900, description="달고 향이 진한 망고입니다."),
            P("M2", "망고", "초록", "1개", "신선/과일/열대과일", 4900, description="후숙해 드세요."),
            P("M3", "건망고", "달콤", "100g", "간식/견과·건과/말린과일", 5900, description="쫄깃하게 말린 망고입니다."),
            P("M5", "건망고", "오후", "100g", "간식/견과·건과/말린과일", 6900, description="달콤한 간식입니다."),
            P("M4", "망고 젤리", "달콤", "100g", "간식/젤리/젤리", 2900, description="말린 과일 맛 젤리입니다."),
            P("T1", "보리차", "온담", "10g x 30개", "음료/차/티백", 4900, description="구수한 보리차입니다."),
            P("T2", "캐모마일 티", "다향", "1g x 20개", "음료/차/티백", 6900,
              description="카페인이 없어 잠들기 전에 마시기 좋습니다."),
            P("T3", "얼그레이 홍차", "다향", "2g x 25개", "음료/차/티백", 7900, description="카페인이 들어 있습니다."),
            P("S1", "약산성 샴푸", "클린", "1L", "뷰티/헤어/샴푸·린스", 9900, description="순한 샴푸입니다."),
            P("S2", "샴푸바", "클린", "100g", "뷰티/헤어/샴푸·린스", 8900, description="플라스틱 용기 없이 고체로 만들었습니다."),
            P("S3", "린스", "클린", "1L", "뷰티/헤어/샴푸·린스", 9900, description="부드러운 린스입니다.")]
    catalog, retriever, vocab = {p.id: p for p in rows}, KeywordRetriever(rows), head_vocabulary(rows)
    for message, keywords, want in (("말린 망고", ("망고",), "M3"), ("카페인 없는 차", ("카페인", "차"), "T2"),
                                    ("고체 샴푸", ("고체", "샴푸"), "S2")):
        item = item_query(keywords, message, vocab)
        # at equal retrieval scores the described item ranks first among the items
        scored = sorted(catalog, key=lambda pid: (-score(catalog[pid], 0.5, item), pid))
        assert scored[0] == want, (message, scored)
        cards = ground_products(retriever, catalog, message, Constraints(), k=3, item=item)
        assert want in [c.id for c in cards], (message, [c.name for c in cards])
    # a 망고 젤리 is described with the same words but is another thing: the claims order items only
    item = item_query(("망고",), "말린 망고", vocab)
    assert features(catalog["M4"], item)["desc"] == 0.0 and features(catalog["M4"], item)["head"] == 0.0
    # 샴푸바 filed with the 샴푸s is a 샴푸; the 린스 beside them is not
    item = item_query(("샴푸",), "샴푸", vocab)
    assert features(catalog["S2"], item)["head"] == 1.0 and features(catalog["S3"], item)["head"] == 0.0
    # 티 and 차 name one kind of thing: a request for 차 finds 캐모마일 티
    assert "티" in item_query(("차",), "차 추천", vocab).heads


def test_a_clipping_is_met_by_the_words_it_clips_and_a_bundle_by_a_pack_of_several():
    clipped = request_claims("노캔 이어폰", ("이어폰",))
    assert clipped == (Claim("노캔"),)
    assert meets(clipped, "노이즈 캔슬링으로 지하철에서도 조용하게 듣습니다.") == 1
    assert meets(clipped, "C타입 단자를 바로 꽂아 씁니다.") == 0
    bundle = request_claims("라면 묶음", ("라면",))
    assert meets(bundle, "", name="정담 채식 라면 115g x 4입") == 1
    assert meets(bundle, "", name="정담 얼큰 라면 120g 1봉") == 0
