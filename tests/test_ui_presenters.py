"""Citation chips: product ids leave the text shoppers read but stay addressable (issue 14)."""

from ui.presenters import product_card, source_chip, sources_html


def test_sources_render_as_chips_linking_to_cards_without_ids_in_text():
    answer = {"sources": [{"id": "P0123", "kind": "product", "title": "국산콩 두유 <1L>"},
                          {"id": "반품-03", "kind": "policy", "title": "신선식품 교환·반품", "passage_id": "반품-03#2",
                           "heading": "품질에 문제가 있을 때"}],
              "passages": {"반품-03": "받은 날을 포함해 2일 안에 사진과 함께 알려 주세요."}}
    out = sources_html(answer)
    assert 'href="#jb-p-P0123"' in out and "국산콩 두유 &lt;1L&gt;" in out      # escaped name, linked
    assert ">P0123<" not in out and "[P0123]" not in out                          # the id is no visible text
    assert "정책 · 신선식품 교환·반품 · 품질에 문제가 있을 때" in out and 'data-source-id="반품-03#2"' in out
    assert "2일 안에" in out
    assert 'id="jb-p-P0123"' in product_card({"id": "P0123", "name": "국산콩 두유", "price": 1000})


def test_no_sources_says_so_and_hostile_ids_are_escaped():
    assert "출처가 없어요" in sources_html({"sources": []}) and "출처가 없어요" in sources_html(None)
    chip = source_chip({"id": '"><script>x</script>', "kind": "product", "title": ""})
    assert "<script>" not in chip and "상품" in chip
