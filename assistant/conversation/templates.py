"""The fixed messages the assistant writes itself, in English and Chinese.

Everything else a reply says is quoted from the shop's policy, catalog, Q&A, reviews, approved
answers or the customer's own orders. A language without a table entry falls back to English.

Example:
    >>> say("thanks", "zh")
    '不客气！还有什么可以帮您的吗？'
    >>> say("not_carried", "en", noun="kayaks")
    "We don't carry kayaks."
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TEMPLATES: dict[str, dict[str, str]] = {
    "withheld_verify_again": {
        "en": "(Hidden: this message holds personal details such as an order's status, tracking or address. "
        "The identity check of this conversation ended after a while without messages; confirm who you are "
        "again in the chat to see it.)",
        "zh": "（已隐藏：此消息包含订单状态、物流或地址等个人信息。本对话的身份验证因一段时间未发消息已结束；"
        "请在对话中重新确认身份后查看。）",
    },
    "identity_failed": {
        "en": "I'm sorry, I couldn't match those details to an account. Please check the email address, "
        "or send your full name together with the {postcode} of the order's address.",
        "zh": "抱歉，未能匹配到账户。请核对邮箱，或提供全名和订单地址的{postcode}。",
    },
    "verified": {"en": "Thank you, that matches our records.", "zh": "谢谢，信息与记录相符。"},
    "refusal": {
        "en": "I'm sorry, I can only help with questions about our shop: orders, returns, shipping, "
        "payments, your account and our products.",
        "zh": "抱歉，我只能回答与本店相关的问题：订单、退货、配送、付款、账户和商品。",
    },
    "offer_handoff": {
        "en": "Would you like me to connect you with a member of our team? Just say yes.",
        "zh": "需要为您转接人工客服吗？回复“是”即可。",
    },
    "sorry": {
        "en": "I'm sorry about this.",
        "zh": "非常抱歉给您带来不便。",
    },
    "handoff": {
        "en": "I'm connecting you with a member of our support team. They'll see our conversation so far, "
        "so you won't need to repeat yourself.",
        "zh": "正在为您转接人工客服，客服可以看到我们的对话记录，您无需重复说明。",
    },
    "waiting": {
        "en": "Your conversation is with our support team now; an agent will reply here shortly.",
        "zh": "您的对话已转给人工客服，客服会尽快在此回复。",
    },
    "action": {
        "en": "I've passed a request to **{action}** order {order_id} to our team. An agent will review "
        "it and confirm with you; nothing has been changed yet.",
        "zh": "已将订单{order_id}的请求（{action}）转交给我们的团队，客服审核后会与您确认；目前订单尚未更改。",
    },
    "action_items": {
        "en": "I've passed a request to **{action}** the {items} from order {order_id} to our team. An agent will "
        "review it and confirm with you; nothing has been changed yet.",
        "zh": "已将订单{order_id}中{items}的请求（{action}）转交给我们的团队，客服审核后会与您确认；目前订单尚未更改。",
    },
    "action_possible_items": {
        "en": "Order {order_id} is **{status}**, so an agent can still **{action}** the {items} from it for you; "
        "I can't make the change myself, and nothing has been changed yet.",
        "zh": "订单{order_id}目前的状态是 **{status}**，客服仍可以为您{action}其中的{items}；"
        "我无法直接更改，订单目前没有任何更改。",
    },
    "action_possible": {
        "en": "Order {order_id} is **{status}**, so an agent can still **{action}** it for you; I can't make "
        "the change myself, and nothing has been changed yet.",
        "zh": "订单{order_id}目前的状态是 **{status}**，客服仍可以为您{action}；我无法直接更改，订单目前没有任何更改。",
    },
    # An address change asked for with no new address: it is asked for; the address itself is the yes.
    "ask_new_address": {
        "en": "What is the new shipping address? Send it and I'll pass the request on to our team with it.",
        "zh": "请告诉我新的收货地址，我会连同地址一起把请求转交给我们的团队。",
    },
    # An exchange asked for when the shop's policy has no rule on exchanges: never promised, the return offered.
    "exchange_no_rule": {
        "en": "Our policy has no rule on exchanges, so I can't promise one. You can return the item under our "
        "returns rule and place a new order for the one you want, or a member of our team can look at it.",
        "zh": "我们的政策没有关于换货的规定，所以我无法承诺换货。您可以按退货规定退回商品并重新下单，"
        "也可以由我们的客服人员为您处理。",
    },
    "exchange_no_rule_order": {
        "en": "Order {order_id} is **{status}**. Our policy has no rule on exchanges, so I can't promise one: you "
        "can return it under our returns rule and place a new order for the one you want, or I can pass your "
        "exchange request to our team. Nothing has been changed yet.",
        "zh": "订单{order_id}目前的状态是 **{status}**。我们的政策没有关于换货的规定，所以我无法承诺换货：您可以按"
        "退货规定退回并重新下单，或者由我把换货请求转交给我们的团队。订单目前没有任何更改。",
    },
    # "I don't remember my email" while who they are is asked: the other ways the shop accepts, or a person.
    "identity_other_ways": {
        "en": "No problem. You can confirm who you are with {ways} instead. If that doesn't work either, a member "
        "of our team can help: just say yes.",
        "zh": "没关系。您也可以提供{ways}来确认身份。如果仍然不行，可以由我们的客服人员协助：回复“是”即可。",
    },
    "identity_no_other_way": {
        "en": "No problem. A member of our team can help you confirm who you are. Would you like me to connect "
        "you? Just say yes.",
        "zh": "没关系，可以由我们的客服人员协助您确认身份。需要为您转接吗？回复“是”即可。",
    },
    # An order already on its way, asked when it arrives: the record's tracking, then the shop's delivery times.
    "return_query": {"en": "returns: items can be returned within days of delivery", "zh": "退货 退回 商品 天内"},
    "delivery_query": {
        "en": "how long does delivery take working business days arrive",
        "zh": "送达 需要 多久 工作日 配送 时间",
    },
    "offer_pass_on": {
        "en": "Would you like me to pass this on to a member of our team? Just say yes.",
        "zh": "需要我把这个请求转交给我们的团队吗？回复“是”即可。",
    },
    "action_not_allowed": {
        "en": "Order {order_id} is **{status}**, and our policy doesn't allow a request to **{action}** an order "
        "in that status, so I haven't passed one on and nothing has been changed.",
        "zh": "订单{order_id}目前的状态是 **{status}**，按照我们的政策，该状态的订单不能{action}，"
        "因此我没有提交请求，订单也没有任何更改。",
    },
    # Several orders picked at once ("the first and the third"): one request for each.
    "actions": {
        "en": "I've passed a request to **{action}** each of orders {order_ids} to our team. An agent will review "
        "them and confirm with you; nothing has been changed yet.",
        "zh": "已将订单{order_ids}的请求（{action}）分别转交给我们的团队，客服审核后会与您确认；目前订单尚未更改。",
    },
    "actions_possible": {
        "en": "An agent can still **{action}** orders {order_ids} for you; I can't make the change myself, and "
        "nothing has been changed yet.",
        "zh": "客服仍可以为您{action}订单{order_ids}；我无法直接更改，订单目前没有任何更改。",
    },
    "actions_not_allowed": {
        "en": "Our policy doesn't allow a request to **{action}** orders in the status of {order_ids}, so I "
        "haven't passed one on for {them} and nothing has been changed.",
        "zh": "按照我们的政策，订单{order_ids}目前的状态不能{action}，因此没有为其提交请求，订单也没有任何更改。",
    },
    "offer_declined": {
        "en": "All right, I haven't passed anything on, and nothing has been changed. Is there anything else I "
        "can help with?",
        "zh": "好的，我没有转交任何请求，订单也没有任何更改。还有什么可以帮您的吗？",
    },
    # A question answered while an order action waits for the customer's yes (never done before it).
    "pending_reminder": {
        "en": "About your request to **{action}** order {order_id}: I haven't passed it on yet. Would you like "
        "me to? Just say yes.",
        "zh": "关于订单{order_id}的请求（{action}）：我还没有转交。需要我转交给我们的团队吗？回复“是”即可。",
    },
    # The retrieval query for the policy's sentence on when orders ship (not shown to the customer).
    "ships_when_query": {
        "en": "when do orders ship leave the warehouse business days",
        "zh": "订单 发货 时间 工作日 仓库",
    },
    "kinds_intro": {
        "en": "Our help center names these kinds of {thing}: {names}. What it says about each, under **{section}**:",
        "zh": "帮助中心提到的{thing}类型有：{names}。以下是**{section}**中的说明：",
    },
    # a section written for the staff (an agent playbook): its heading is the staff's name for a case, not said
    "kinds_intro_plain": {
        "en": "Our help center names these kinds of {thing}: {names}. What it says about each:",
        "zh": "帮助中心提到的{thing}类型有：{names}。以下是相关说明：",
    },
    "options_query": {
        "en": "what are my options: a replacement, a repair, an exchange or a refund",
        "zh": "我有哪些选择：更换、维修、换货或退款",
    },
    "refund_when_query": {"en": "when is the refund issued", "zh": "退款多久到账"},
    "moved_question": {"en": "I moved, how do I update my address?", "zh": "我搬家了，怎么修改地址？"},
    # "I moved" when the shop's text has nothing for customers on changing an address (only staff steps)
    "moved_intro": {
        "en": "Thanks for letting me know. I can't change an address myself, but I can pass the change on to our "
        "team together with your new address.",
        "zh": "感谢告知。我无法直接修改地址，但可以把修改请求连同您的新地址转给我们的团队。",
    },
    "moved_ask": {
        "en": "Would you like to change the shipping address of an order you've placed? Say yes, or send the "
        "order number, and I'll check whether it can still be changed.",
        "zh": "您需要修改已下订单的收货地址吗？回复“是”或发送订单号，我来查看是否还能修改。",
    },
    "action_which": {
        "en": "Which order would you like to {action}? Please send the order number (for example {example}).",
        "zh": "请问您要处理哪个订单？请提供订单号（例如 {example}）。",
    },
    # An item named after verification that none of the customer's own orders holds (nothing else looked up).
    "item_not_ordered": {
        "en": "None of your orders holds the **{item}**. Here is what your orders do hold:",
        "zh": "您的订单中没有**{item}**。以下是您订单中的商品：",
    },
    "item_not_ordered_none": {
        "en": "None of your orders holds the **{item}**, and I don't see any orders on your account.",
        "zh": "您的订单中没有**{item}**，您的账户上也没有订单记录。",
    },
    "item_which": {
        "en": "Which item would you like to {action}?",
        "zh": "请问您要处理哪件商品？",
    },
    "action_which_eligible": {
        "en": "Which order would you like to {action}? These are the ones our policy allows it for:",
        "zh": "请问您要处理哪个订单？以下订单的状态允许这样做：",
    },
    "action_none_eligible": {
        "en": "None of your orders can be handled that way: our policy allows a request to **{action}** only "
        "for orders that are {statuses}, so I haven't passed one on. Your orders:",
        "zh": "您的订单目前都无法这样处理：按照我们的政策，只有状态为{statuses}的订单才能申请，"
        "所以我没有提交申请。您的订单：",
    },
    "stalled_parcel": {
        "en": "I can't see more than this tracking myself. A member of our team can check with the carrier: would you "
        "like me to pass this on? Just say yes.",
        "zh": "我这里只能看到以上物流信息。我们的团队可以向承运商核实：需要我转给他们吗？回复“是”即可。",
    },
    "cancel_instead": {
        "en": "Order {order_id} is still **{status}**, so it can still be **cancelled** before it ships, and you can "
        "then order the one you want. Would you like me to pass a cancellation on to our team? Just say yes.",
        "zh": "订单{order_id}目前为**{status}**，发货前仍可申请**取消**，之后您可以重新下单。"
        "需要我把取消申请转给我们的团队吗？回复“是”即可。",
    },
    "about_me": {
        "en": "I'm the shop's virtual assistant, not a person. I can help with orders, returns, shipping and "
        "our products, and I can connect you with our team whenever you like. What can I do for you?",
        "zh": "我是本店的智能助手，不是真人客服。我可以帮您处理订单、退货、配送等问题，也可以帮您挑选商品；"
        "需要时也可以为您转接人工客服。请问有什么可以帮您？",
    },
    "greeting": {
        "en": "Hello! I can help with orders, returns, shipping and our products. What can I do for you?",
        "zh": "您好！我可以帮您处理订单、退货、配送等问题，也可以帮您挑选商品。请问有什么可以帮您？",
    },
    # A reason given for a return while the identity step waits ("it's too heavy"): kept with the request.
    "reason_noted": {
        "en": "Thank you, I've noted that with your request.",
        "zh": "谢谢，我已把这一点记在您的申请里。",
    },
    "ack": {
        "en": "All right. Is there anything else I can help with?",
        "zh": "好的。还有什么可以帮您的吗？",
    },
    "thanks": {
        "en": "You're welcome! Is there anything else I can help with?",
        "zh": "不客气！还有什么可以帮您的吗？",
    },
    "later": {
        "en": "Of course, take your time. I'm here whenever you'd like to pick this up again.",
        "zh": "好的，您慢慢考虑，有需要随时找我。",
    },
    "bye": {
        "en": "Thanks for stopping by. Have a great day!",
        "zh": "感谢您的光临，祝您愉快！",
    },
    "no_answer": {
        "en": "I'm sorry, I couldn't find that in our help center or catalog. You can ask me about orders, "
        "returns, shipping, payments or our products.",
        "zh": "抱歉，我在帮助中心和商品目录中没有找到相关信息。您可以咨询订单、退货、配送、付款或商品。",
    },
    "shopping_intro": {
        "en": "Here's what we have for {need}:",
        "zh": "为您找到以下符合需求（{need}）的商品：",
    },
    "no_colour": {
        "en": "Our catalog doesn't list the **{name}** in {colour}.",
        "zh": "目录中的 **{name}** 没有{colour}的款式。",
    },
    "more_intro": {
        "en": "Here are more {need}:",
        "zh": "更多符合需求的商品（{need}）：",
    },
    "no_more": {
        "en": "That's everything we have for {need}; I've shown you all of them.",
        "zh": "符合需求（{need}）的商品都已经为您列出了，没有更多了。",
    },
    "cheaper_intro": {
        "en": "Here are {need} cheaper than the **{name}** ({price}):",
        "zh": "比 **{name}**（{price}）更便宜的{need}：",
    },
    "cheapest_intro": {
        "en": "The cheapest of our {need} is the **{name}** ({price}). Here they are by price:",
        "zh": "我们的{need}中最便宜的是 **{name}**（{price}）。按价格排列如下：",
    },
    "priciest_intro": {
        "en": "The most expensive of our {need} is the **{name}** ({price}). Here they are by price:",
        "zh": "我们的{need}中最贵的是 **{name}**（{price}）。按价格排列如下：",
    },
    "measure_intro": {
        "en": "The {word} of our {need}{stated} is the **{name}** ({value}).",
        "zh": "我们的{need}{stated}中{word}的是 **{name}**（{value}）。",
    },
    "measure_stated": {
        "en": " whose {measure} the catalog states",
        "zh": "（目录注明{measure}的）",
    },
    "measure_only": {
        "en": (
            "Of our {need}, the catalog states the {measure} of the **{name}** only ({value}), "
            "so I can't say which is the {word}."
        ),
        "zh": "在我们的{need}中，目录只注明了 **{name}** 的{measure}（{value}），所以无法判断哪款{word}。",
    },
    "measure_unknown": {
        "en": (
            "Our catalog doesn't state the {measure} of our {need}, so I can't say which is the {word}. "
            "Here they are:"
        ),
        "zh": "我们的商品目录没有注明{need}的{measure}，所以无法判断哪款{word}。以下是这些商品：",
    },
    "pricier_intro": {
        "en": "Here are {need} more expensive than the **{name}** ({price}):",
        "zh": "比 **{name}**（{price}）更贵的{need}：",
    },
    "shopping_intro_plain": {
        "en": "Here's what we have that matches what you're looking for:",
        "zh": "为您找到以下符合需求的商品：",
    },
    "shopping_outro": {
        "en": "Tell me more about how you'll use it, or a budget, and I can narrow it down.",
        "zh": "告诉我您的用途或预算，我可以帮您进一步筛选。",
    },
    "name_lists": {
        "en": "The product name of **{name}** lists {codes}.",
        "zh": "**{name}**的商品名称中列有{codes}。",
    },
    "unanswered_topic": {
        "en": "I'm sorry, our help center has nothing I can tell you about your {topic}. Would you like me to "
        "pass your question to a member of our team?",
        "zh": "抱歉，关于{topic}，帮助中心里没有我可以告诉您的内容。需要我把您的问题转给我们的客服人员吗？",
    },
    "unanswered": {
        "en": "I'm sorry, I couldn't find an answer to that in our help center. Would you like me to pass "
        "your question to a member of our team?",
        "zh": "抱歉，我在帮助中心没有找到这个问题的答案。需要我把您的问题转给我们的客服人员吗？",
    },
    "orders_intro": {
        "en": "Here are the details I found on your account:",
        "zh": "以下是您账户中的订单信息：",
    },
    # The number is not echoed: the output guard hides another customer's order number, so an echo would
    # tell a real number ("[order number hidden]") from a mistyped one.
    "order_missing": {
        "en": "I couldn't find the order number you gave on your account. Please check it.",
        "zh": "您的账户中没有找到您提供的订单号，请核对。",
    },
    "orders_missing": {
        "en": "I couldn't find {count} of the order numbers you gave on your account. Please check them.",
        "zh": "您提供的订单号中有 {count} 个在您的账户中没有找到，请核对。",
    },
    "others_orders": {
        "en": "I'm sorry, I can only share an order's or an account's details with the customer it belongs to. "
        "If it's someone else's order, they can contact us and confirm who they are themselves.",
        "zh": "抱歉，订单和账户信息只能提供给账户本人。如果是别人的订单，请让本人联系我们并确认身份。",
    },
    "others_orders_verified": {
        "en": "I'm sorry, this conversation is verified for one account, and I can only share that account's "
        "orders and details. If it's someone else's order, they can contact us and confirm who they are "
        "themselves; for another account of your own, please start a new chat and confirm who you are there.",
        "zh": "抱歉，本次对话已验证的是一个账户，我只能提供该账户的订单和信息。如果是别人的订单，请让本人联系我们"
        "并确认身份；如果是您的另一个账户，请开始新的对话并在其中确认身份。",
    },
    # A customer signed in with the shop's login cannot confirm another identity in the same chat.
    "others_orders_signed_in": {
        "en": "I'm sorry, you're signed in to one account, and I can only share that account's orders and "
        "details. If it's someone else's order, the account holder can sign in or contact us themselves; "
        "for another account of your own, please sign out and sign in to that account.",
        "zh": "抱歉，您当前登录的是一个账户，我只能提供该账户的订单和信息。如果是别人的订单，请让账户本人登录"
        "或联系我们；如果是您的另一个账户，请退出登录后用该账户登录。",
    },
    "no_orders": {
        "en": "I couldn't find any orders on your account.",
        "zh": "您的账户中没有找到任何订单。",
    },
    "no_capacity": {
        "en": "None of our {need} states that it takes {amount}. These state the most:",
        "zh": "我们的{need}中没有标明可容纳{amount}的商品。以下是标明容量最大的：",
    },
    "over_budget": {
        "en": "Above your budget, this has it, if you'd like to consider it:",
        "zh": "以下商品符合该要求，但超出您的预算，供您参考：",
    },
    "helps_unstated": {
        "en": "Nothing in the descriptions or reviews of our {kind} says that it helps with {thing}, so I can't "
        "tell you which would. For health questions, please ask a doctor or pharmacist.",
        "zh": "我们的{kind}的商品描述和评价都没有提到对{thing}有帮助，所以无法告诉您哪一款有用。"
        "健康问题请咨询医生或药剂师。",
    },
    "helps_stated": {
        "en": "Here is what our catalog and customers say about {thing} (their words, not a health claim of ours):",
        "zh": "以下是商品信息和顾客评价中关于{thing}的内容（仅为原文引述，并非本店的健康声明）：",
    },
    "no_match": {
        "en": "I couldn't find any {need} in our catalog.",
        "zh": "目录中没有找到符合条件的商品（{need}）。",
    },
    "owned_left_out": {
        "en": "Got it, I'll leave out {kind}.",
        "zh": "好的，已为您排除{kind}。",
    },
    "kind_from": {
        "en": "Our {kind} start at {price} (the **{name}**).",
        "zh": "我们的{kind}最低 {price}（**{name}**）。",
    },
    "closest_within": {
        "en": "Within your budget, the closest we have:",
        "zh": "在您的预算内，最接近的商品：",
    },
    "closest": {
        "en": "The closest we have:",
        "zh": "最接近的商品：",
    },
    "catalog_kinds": {
        "en": "We sell these kinds of products:",
        "zh": "我们销售以下几类商品：",
    },
    "catalog_kind": {
        "en": "**{kind}**: {count} products, such as the {example}",
        "zh": "**{kind}**：{count} 件商品，例如 {example}",
    },
    "more_unnamed": {
        "en": "To show you more, tell me what you're looking for, what it's for, or a budget, and I'll suggest a few.",
        "zh": "想看更多商品的话，请告诉我您要找什么、用途或预算，我来为您推荐几款。",
    },
    "catalog_kinds_outro": {
        "en": "Tell me what you need it for, or a budget, and I'll suggest a few.",
        "zh": "告诉我您的用途或预算，我可以为您推荐几款。",
    },
    "only_one": {
        "en": "The **{name}** ({price}) is the only one of our {kind}.",
        "zh": "**{name}**（{price}）是我们唯一的{kind}，没有其他同类商品。",
    },
    "lowest_priced": {
        "en": "The **{name}** ({price}) is the lowest-priced of our {kind}; there is nothing cheaper of the kind.",
        "zh": "**{name}**（{price}）已经是我们价格最低的{kind}，没有更便宜的同类商品。",
    },
    "highest_priced": {
        "en": "The **{name}** ({price}) is the highest-priced of our {kind}; there is nothing pricier of the kind.",
        "zh": "**{name}**（{price}）已经是我们价格最高的{kind}。",
    },
    "we_carry": {
        "en": "We sell {kinds}.",
        "zh": "我们销售{kinds}。",
    },
    "not_carried": {
        "en": "We don't carry {noun}.",
        "zh": "我们目前不销售{noun}。",
    },
    "no_sale_listed": {
        "en": "Our catalog lists no sale or discount on it; that is its current price.",
        "zh": "商品目录中没有显示它有促销或折扣，这就是它目前的价格。",
    },
    "sale_listed": {
        "en": "Our catalog marks it: {mark}.",
        "zh": "商品目录中标注为：{mark}。",
    },
    "price": {
        "en": "The **{name}** costs {price}.",
        "zh": "**{name}** 的价格是 {price}。",
    },
    "price_range": {
        "en": "The **{name}** costs {low} to {high}, depending on the option.",
        "zh": "**{name}** 的价格为 {low} 至 {high}，视款式而定。",
    },
    "stock": {
        "en": "In stock: {options}.",
        "zh": "有货款式：{options}。",
    },
    "stock_intro": {"en": "Here is what is in stock of the products above:", "zh": "以上商品的库存情况："},
    "in_stock": {"en": "The **{name}** is in stock.", "zh": "**{name}** 有货。"},
    "no_such_option": {
        "en": "Our catalog lists no {what} for the **{name}**.",
        "zh": "商品目录中 **{name}** 没有这类可选规格。",
    },
    "one_version_short": {"en": "It comes in one version only.", "zh": "它只有一个款式。"},
    "one_version": {
        "en": "Our catalog lists the **{name}** in one version only, with no {what} to choose from.",
        "zh": "商品目录中 **{name}** 只有一个款式，没有可选的规格。",
    },
    "out_of_stock": {
        "en": "The **{name}** is currently out of stock.",
        "zh": "**{name}** 目前缺货。",
    },
    "from_description": {"en": "From the product description of the **{name}**:", "zh": "**{name}** 的商品描述："},
    "from_qa": {"en": "From the product Q&A of the **{name}**:", "zh": "**{name}** 的商品问答："},
    "from_reviews": {"en": "Customers say about the **{name}**:", "zh": "顾客对 **{name}** 的评价："},
    "review_average": {
        "en": "The **{name}** has an average rating of {average} out of {scale} from {count} reviews.",
        "zh": "**{name}** 的平均评分为 {average}（满分 {scale}），共 {count} 条评价。",
    },
    "no_reviews": {"en": "The **{name}** has no reviews yet.", "zh": "**{name}** 还没有评价。"},
    "best_rated": {
        "en": "Of these, the **{name}** has the best average rating from its reviews:",
        "zh": "其中评价平均分最高的是 **{name}**：",
    },
    "only_rated": {"en": "Here is what its reviews give the **{name}**:", "zh": "**{name}** 的评价评分："},
    "none_rated": {"en": "None of these has reviews yet.", "zh": "这些商品都还没有评价。"},
    "rated_intro": {"en": "Here is how their reviews rate them:", "zh": "它们的评价评分如下："},
    "review_single": {
        "en": "The **{name}** has one review so far, rated {average} out of {scale}.",
        "zh": "**{name}** 目前有 1 条评价，评分 {average}（满分 {scale}）。",
    },
    "product_unknown": {
        "en": "The product information for the **{name}** doesn't say. I can pass the question to our team.",
        "zh": "**{name}** 的商品信息中没有提到这一点，我可以把问题转交给我们的团队。",
    },
    "no_price": {
        "en": "The product information for the **{name}** doesn't list a price. I can pass the question to our team.",
        "zh": "**{name}** 的商品信息中没有列出价格，我可以把问题转交给我们的团队。",
    },
    "no_prices": {
        "en": "Our catalog doesn't list prices for these products, so I can't compare them by price.",
        "zh": "我们的商品目录没有列出这些商品的价格，所以无法按价格比较。",
    },
    "chosen": {
        "en": "Good choice: the **{name}** ({price}). [1] Is there anything else you'd like to know about it?",
        "zh": "好的，您选择了 **{name}**（{price}）。[1] 关于它，还有什么想了解的吗？",
    },
    "chosen_which": {
        "en": "Happy to help. Which one would you like: {names}?",
        "zh": "好的。您想要哪一款：{names}？",
    },
    "only_choice": {
        "en": "The **{name}** is the only match for “{need}” in our catalog. Here's what it offers:",
        "zh": "{need}我们只有 **{name}** 这一款。它的情况：",
    },
    "only_choice_plain": {
        "en": "The **{name}** is the only product we've looked at so far. Here's what it offers:",
        "zh": "目前只看了 **{name}** 这一款。它的情况：",
    },
    "overview_intro": {
        "en": "Here's what our catalog says about the **{name}**:",
        "zh": "商品目录中关于 **{name}** 的信息：",
    },
    "overview_brand": {"en": "Brand: {brand}", "zh": "品牌：{brand}"},
    "overview_category": {"en": "Category: {category}", "zh": "类别：{category}"},
    "unread_language": {
        "en": "I'm sorry, I can only answer in English or Chinese. Please write to us in English or Chinese, "
        "or ask for a person in English.",
        "zh": "抱歉，我目前只能用英文或中文回答，请用英文或中文提问。",
        "ja": "申し訳ありませんが、英語または中国語でのみお答えできます。",
        "ko": "죄송하지만 영어 또는 중국어로만 답변할 수 있습니다.",
        "fr": "Désolé, je ne peux répondre qu'en anglais ou en chinois.",
        "es": "Lo siento, solo puedo responder en inglés o en chino.",
        "de": "Entschuldigung, ich kann nur auf Englisch oder Chinesisch antworten.",
        "it": "Mi dispiace, posso rispondere solo in inglese o in cinese.",
        "pt": "Desculpe, só posso responder em inglês ou em chinês.",
        "nl": "Sorry, ik kan alleen in het Engels of het Chinees antwoorden.",
    },
    # Words added to find the rule on an item's condition for a return ("what if I washed it?").
    "condition_query": {"en": "return condition", "zh": "退货 条件"},
    "policy_intro": {
        "en": "Here is what our policy says about **{section}**:",
        "zh": "关于**{section}**，我们的政策如下：",
    },
    "answer_intro": {"en": "{title}:", "zh": "{title}："},
}


# Order actions as a verb phrase before "order #…" (the drafts keep the action's key).
ACTIONS: dict[str, dict[str, str]] = {
    "cancel": {"en": "cancel", "zh": "取消"},
    "return": {"en": "return", "zh": "退货"},
    "exchange": {"en": "exchange", "zh": "换货"},
    "address_change": {"en": "change the shipping address of", "zh": "修改收货地址"},
}


def action_phrase(action: str, language: str) -> str:
    """``"address_change"`` -> ``"change the shipping address of"`` (an unknown key reads as words).

    Example:
        >>> action_phrase("address_change", "en"), action_phrase("cancel", "zh")
        ('change the shipping address of', '取消')
    """
    table = ACTIONS.get(action)
    if table is None:
        return action.replace("_", " ")
    return table.get(language, table["en"])


# English nouns without a plural ("We don't carry toner.").
_UNCOUNTED = frozenset(
    {
        "ink", "toner", "paper", "water", "software", "hardware", "furniture", "equipment", "clothing", "luggage",
        "jewelry", "jewellery", "gear", "coffee", "tea", "food", "rice", "milk", "wine", "beer", "firewood",
        "fuel", "gas", "propane", "oil", "soap", "shampoo", "makeup", "bedding", "cookware", "dinnerware",
        "silverware", "footwear", "outerwear", "underwear", "sportswear", "swimwear", "knitwear", "apparel",
        "insurance", "advice", "information", "news",
    }
)


def plural(noun: str, language: str = "en") -> str:
    """An English noun phrase in the plural, as "We don't carry {noun}." needs it; other languages, a
    phrase already plural, or one ending in a model number or a name (capitals) stay as written.

    Example:
        >>> plural("warm jacket"), plural("helmet"), plural("box"), plural("battery"), plural("bikes")
        ('warm jackets', 'helmets', 'boxes', 'batteries', 'bikes')
        >>> plural("HP 62 black ink"), plural("black ink"), plural("loyalty program", "zh")
        ('HP 62 black ink', 'black ink', 'loyalty program')
    """
    words = noun.split()
    last = words[-1] if words else ""
    named = any(re.search(r"[\dA-Z]", w) for w in words)  # "HP 62 black ink", "Kindle case"
    if language != "en" or named or not re.fullmatch(r"[a-z]{3,}", last) or last.endswith(("s", "ing")):
        return noun
    if last in _UNCOUNTED:
        return noun
    if last.endswith(("x", "ch", "sh", "z")):
        last += "es"
    elif last.endswith("y") and last[-2] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join([*words[:-1], last])


def joined(parts: Iterable[str], language: str, *, clauses: bool = False) -> str:
    """Words, sentences or (``clauses``) items of one line joined as ``language`` writes them: Chinese
    without spaces ("…防水。…保暖。", "状态：已发货；物流单号…"), other languages with one.

    Example:
        >>> joined(["Fits two.", "Weighs 1.9 kg."], "en"), joined(["防水。", "保暖。"], "zh")
        ('Fits two. Weighs 1.9 kg.', '防水。保暖。')
        >>> joined(["rechargeable", "headlamp"], "zh"), joined(["保暖", "帽子"], "zh")
        ('rechargeable headlamp', '保暖帽子')
        >>> joined(["Status: shipped", "Tracking: 1Z9"], "en", clauses=True)
        'Status: shipped; Tracking: 1Z9'
    """
    chinese = language == "zh"
    sep = ("；" if chinese else "; ") if clauses else ("" if chinese else " ")
    if sep:
        return sep.join(parts)
    # Chinese words run together, English words inside it do not ("rechargeable headlamp").
    out = ""
    for part in parts:
        space = out[-1:].isascii() and out[-1:].isalnum() and part[:1].isascii() and part[:1].isalnum()
        out += (" " if space else "") + part
    return out


def say(key: str, language: str, **values: str) -> str:
    """The fixed message ``key`` in ``language`` (English when there is no translation)."""
    table = TEMPLATES[key]
    return table.get(language, table["en"]).format(**values)
