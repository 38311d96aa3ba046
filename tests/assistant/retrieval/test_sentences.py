"""One sentence splitter for snippets, answers and passages, English and Chinese."""

from __future__ import annotations

from assistant.conversation.compose import ExtractiveComposer, best_sentences
from assistant.retrieval import Passage, split_sentences
from assistant.retrieval.text import split_passages

POLICY_ZH = (
    "退货期限为收货后30天。商品必须保持原包装！退款会在5个工作日内退回原支付方式。运费由顾客承担？不，质量问题由我们承担。"
)


def test_chinese_sentences_split_at_full_stops_without_a_space() -> None:
    assert split_sentences(POLICY_ZH) == [
        "退货期限为收货后30天。",
        "商品必须保持原包装！",
        "退款会在5个工作日内退回原支付方式。",
        "运费由顾客承担？",
        "不，质量问题由我们承担。",
    ]
    # a run of stops and a closing quote stay with their sentence; a space after a stop is dropped
    assert split_sentences("他说：“好的。”真的吗？！ 好。") == ["他说：“好的。”", "真的吗？！", "好。"]
    # Chinese typed with half-width stops splits between ideographs; numbers and English do not
    assert split_sentences("很好!我喜欢。价格3.5元") == ["很好!", "我喜欢。", "价格3.5元"]
    assert split_sentences("It costs $3.50. Free returns!\nSee e.g.the FAQ") == [
        "It costs $3.50.",
        "Free returns!",
        "See e.g.the FAQ",
    ]


def test_passages_use_the_same_sentences() -> None:
    text = POLICY_ZH * 3
    parts = split_passages(text, 80)
    assert len(parts) > 1 and "".join(parts) == text  # Chinese passages are glued back without spaces
    sentences = split_sentences(text)
    assert [s for p in parts for s in split_sentences(p)] == sentences
    english = "Good sound. Battery lasts a day. The case is flimsy."
    assert split_passages(english, 30) == split_sentences(english)


def test_a_chinese_policy_answer_quotes_its_sentences_not_the_whole_paragraph() -> None:
    question = "退款会退回原来的支付方式吗"
    assert best_sentences(question, POLICY_ZH, limit=1) == ["退款会在5个工作日内退回原支付方式。"]
    policy = Passage(
        id="p1",
        collection="policies",
        text=f"退货政策\n\n{POLICY_ZH}",
        metadata={"title": "退货政策", "language": "zh"},
        score=1.0,
        cosine=0.8,
    )
    reply = ExtractiveComposer().answer(question, [policy], language="zh").text
    assert "退款会在5个工作日内退回原支付方式。" in reply and "商品必须保持原包装" not in reply
