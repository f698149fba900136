"""Synthetic, realistic Chinese bank customer-complaint corpus.

:func:`make_complaints` builds a reproducible corpus of complaint narratives
with known ground truth (``true_themes``) and a satisfaction score generated
from a documented additive effect model, so that every stage of the toolkit
(cleaning, theme detection, topic discovery, driver analysis) can be tested
against a known answer.

Effect model (per row)::

    latent = BASELINE
             + sum(TRUE_EFFECTS[t] for t in true_themes)
             + BRANCH_EFFECTS[branch]
             + CHANNEL_EFFECTS[channel]
             + CUSTOMER_TYPE_EFFECTS[customer_type]
             - HANDLING_PENALTY_PER_DAY * max(0, hours - HANDLING_TARGET_HOURS) / 24
             + Normal(0, NOISE_SD)
    satisfaction = clip(round(latent), 1, 5)   (missing for ~3% of rows)

Built-in stories (see ``data/sample/README.md``):

* 城东支行 closes counters from 2024-03: more queuing / counter_arrangement
  complaints and more volume there afterwards.
* A new small-account management fee / SMS fee in 2024-07: ``fees`` spike.
* A mobile-banking app upgrade in 2023-11: ``self_service_tech`` spike.

All personal data (phone, card and ID numbers) is random and fictitious; card
numbers merely pass the Luhn check and ID numbers the ISO 7064 MOD 11-2 check.
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "THEME_KEYS",
    "THEME_LABELS_ZH",
    "THEME_KEYWORDS",
    "PHRASES",
    "SHORT_PHRASES",
    "OTHER_TOPICS",
    "GARBAGE_TEXTS",
    "TRUE_EFFECTS",
    "BASELINE",
    "NOISE_SD",
    "BRANCHES",
    "BRANCH_EFFECTS",
    "CHANNELS",
    "CHANNEL_EFFECTS",
    "CUSTOMER_TYPES",
    "CUSTOMER_TYPE_EFFECTS",
    "HANDLING_TARGET_HOURS",
    "HANDLING_PENALTY_PER_DAY",
    "COLUMNS",
    "BANK_NAME",
    "SAMPLE_PATH",
    "make_complaints",
    "load_sample",
    "write_sample",
    "luhn_valid",
    "id_checksum_valid",
]

# ---------------------------------------------------------------------------
# Taxonomy
# ---------------------------------------------------------------------------

THEME_KEYS: tuple[str, ...] = (
    "queuing",
    "staff_attitude",
    "operation_error",
    "inconsistent_info",
    "fees",
    "process_complexity",
    "self_service_tech",
    "counter_arrangement",
    "environment",
    "hotline",
    "mis_selling",
    "complaint_handling",
)

THEME_LABELS_ZH: dict[str, str] = {
    "queuing": "排队等候",
    "staff_attitude": "服务态度",
    "operation_error": "业务差错",
    "inconsistent_info": "口径不一",
    "fees": "收费问题",
    "process_complexity": "手续繁琐",
    "self_service_tech": "自助与电子渠道",
    "counter_arrangement": "窗口设置",
    "environment": "网点环境",
    "hotline": "客服热线",
    "mis_selling": "营销误导",
    "complaint_handling": "投诉处理",
}

#: The "obvious" words of each theme.  Roughly half of the phrase templates of
#: every theme contain one of them; the other half describe the problem
#: without them (a test checks the balance).
THEME_KEYWORDS: dict[str, tuple[str, ...]] = {
    "queuing": ("排队", "等候", "等待", "叫号", "排号", "队"),
    "staff_attitude": ("态度", "服务差", "不耐烦", "冷漠", "脸色", "凶", "不礼貌", "傲慢", "爱答不理", "白眼"),
    "operation_error": ("错", "失误", "漏"),
    "inconsistent_info": ("说法", "口径", "不一致", "不一样", "解释不清", "踢皮球", "推来推去", "说不清"),
    "fees": ("收费", "手续费", "年费", "管理费", "扣费", "费"),
    "process_complexity": ("手续", "繁琐", "麻烦", "材料", "流程", "复杂", "填表", "表格"),
    "self_service_tech": ("ATM", "自助", "手机银行", "APP", "网银", "系统", "取款机", "存款机", "闪退"),
    "counter_arrangement": ("窗口", "柜台"),
    "environment": ("环境", "卫生", "座位", "椅子", "空调", "停车", "厕所", "洗手间", "脏"),
    "hotline": ("热线", "客服", "电话", "人工", "转接", "95"),
    "mis_selling": ("推销", "营销", "误导", "搭售", "捆绑", "强制", "忽悠", "骗"),
    "complaint_handling": ("投诉", "回复", "回电", "答复", "道歉", "处理"),
}

# ---------------------------------------------------------------------------
# Phrase bank: first-person sentence templates with {slots}
# ---------------------------------------------------------------------------

PHRASES: dict[str, tuple[str, ...]] = {
    "queuing": (
        "排队排了{m}分钟才轮到我。",
        "光排队就花了{h}小时，一上午全耗在银行了。",
        "叫号特别慢，半天才叫一个。",
        "等候区坐满了人，叫号机半天不动。",
        "取号的时候前面排着{k}个人。",
        "排号排到了{qno}，一直等到中午。",
        "排了这么久的队，轮到我时已经快下班了。",
        "每次来都要排长队，效率太低了。",
        "等待时间太长了，足足{m}分钟。",
        "叫号系统一直在叫VIP号，普通号根本不动。",
        "排队的人一直排到了门口。",
        "我是一开门就来排队的，结果还是等了{h}小时。",
        "老人孩子都在排队，没人管。",
        "等候时间远远超过你们承诺的时间。",
        "排队{m}分钟，办业务只用了两分钟。",
        "中午排队的人最多，偏偏这时候最慢。",
        "为了取个钱排了一个小时的队。",
        "排队时间太长，耽误了我上班。",
        "等待叫号的时候屏幕一直黑着，不知道排到哪了。",
        "来之前说不用排队，来了还是要等{m}分钟。",
        "取号机提示前面还有{k}人等待。",
        "拿了号前面才{k}个人，硬是坐了{m}分钟。",
        "从进门到办完出来，整整{h}小时。",
        "手机都玩没电了还没轮到我。",
        "早上九点进门，出来已经十一点半了。",
        "一上午就办了一件事，半天假全搭进去了。",
        "前面{k}个人办了快一个小时。",
        "坐在那里干耗着，看着时间一分一秒过去。",
        "请了半天假来的，结果在大厅里坐到中午。",
        "我进门时前面{k}个人，到我时孩子都睡着了。",
        "屏幕上的号码半天不跳一下。",
        "同样的业务在别家银行十分钟就办完了，你们这里要{h}小时。",
        "中午十二点到两点基本没人办事，大家都在干坐着。",
        "办个{biz}花了{h}小时，客户的时间就这么不值钱吗？",
        "我带着老人来的，老人在大厅坐了{m}分钟腰都直不起来。",
        "从开门到现在只叫了{k}个号。",
        "好不容易轮到我，下午的事情全耽误了。",
        "来了三趟，每次都是人山人海，最后只能放弃。",
        "门口还没开门就站了一堆人，进去以后更慢。",
        "我拿的是{qno}，眼看着十点变成了十一点半。",
        "午饭都没吃，就为了等这一个号。",
        "一个普通的{biz}业务，前前后后耗掉我{h}小时。",
        "进去的时候天还亮着，出来路灯都亮了。",
        "坐得腿都麻了，前面的人还是不见少。",
    ),
    "staff_attitude": (
        "{role}态度非常恶劣，说话带刺。",
        "我多问了一句，{role}就不耐烦地让我自己看。",
        "服务态度冷漠，问什么都爱答不理。",
        "{role}给我甩脸色，好像我欠了她钱。",
        "{role}说话很凶，当着大家的面数落我。",
        "态度傲慢，根本不把客户当回事。",
        "我问了两遍，她翻了个白眼说“不是说过了吗”。",
        "服务态度差到极点，全程冷着脸。",
        "{role}非常不礼貌，直接打断我说话。",
        "这种服务态度真的让人寒心。",
        "老人听不清多问了几句，{role}就不耐烦地提高嗓门。",
        "{role}对我冷嘲热讽，态度极差。",
        "服务差，{role}一直在跟同事聊天。",
        "我不过是问问进度，{role}的口气很凶。",
        "态度敷衍，问三句答一句。",
        "大堂里的{role}对我大呼小叫，态度非常恶劣。",
        "{role}脸色难看，好像我来办业务是给她添乱。",
        "客户经理态度冷漠，一句解释都没有。",
        "我只是多确认一下，{role}就不耐烦地说“你到底办不办”。",
        "态度很差，我站在前面她当没看见。",
        "这位{role}的服务态度我实在无法接受。",
        "工作人员态度生硬，说话跟审犯人一样。",
        "{role}头都没抬，把卡扔了回来。",
        "我话还没说完，她就把话筒关了。",
        "{role}一边嚼东西一边给我办业务。",
        "我递过去的单子被她直接推了回来，一句话都没说。",
        "喊了她两声才慢吞吞地抬头。",
        "{role}当着我的面跟同事嘀咕，说我听不懂道理。",
        "她说“你听不懂就回去问你家里人”，我当时就气坏了。",
        "{role}全程在玩手机，我站了好几分钟才理我。",
        "我问能不能快一点，{role}回了一句“急什么”。",
        "签字的时候笔直接扔到我面前。",
        "她说话阴阳怪气的，让人非常难受。",
        "{role}冲我摆摆手，意思是让我别烦她。",
        "老人拿着存折问了一句，被{role}呛了回去。",
        "我说明来意后，对方叹了口气，斜着眼睛看我。",
        "她嘴里一直嘟囔着，把单子往桌上一摔。",
        "问她怎么填，她说“自己不会看吗”。",
        "进门没人理，喊了半天{role}才懒洋洋地过来。",
        "快下班时去的，{role}直接说明天再来吧，看都不看我一眼。",
        "我是来办事的，不是来看别人眼色的。",
        "{role}嫌我动作慢，在旁边一直催。",
        "她把我的身份证往外一推，说“下一个”。",
        "对方说话的语气就像在打发要饭的。",
    ),
    "operation_error": (
        "{role}把金额输错了，多转了{amt}元出去。",
        "柜员操作失误，把我的定期存成了活期。",
        "把我的名字写错了，回单上全是错的。",
        "存了{amt}元，存折上只记了一半，明显是办错了。",
        "柜员弄错了收款账户，钱转到了别人那里。",
        "本来要办{biz}，结果给我办成了别的业务，完全搞错了。",
        "挂失漏办了，卡被人盗刷了{amt}元。",
        "因为你们的操作错误，我的工资卡被冻结了。",
        "销户时漏掉了一个子账户，现在还显示未销户。",
        "转账金额少打了一个零，错误是你们造成的。",
        "柜员把我的手机号登记错了，验证码一直收不到。",
        "业务办错了还不承认，推给机器。",
        "身份证号录错了一位，导致我的账户信息对不上。",
        "{role}失误把我的卡注销了。",
        "定期到期日弄错了，利息少算了好几百。",
        "给我开的卡种是错的，要重新办。",
        "汇款用途填错了，钱被退回来耽误了一个星期。",
        "你们把我家老人的存单弄错了户名。",
        "柜员数钱数错了，少给了我{cash}元。",
        "这么简单的操作都能出错，实在不专业。",
        "签约漏了一项，导致代扣一直失败。",
        "打印出来的流水日期是错的，单位不认。",
        "明明说好存三年，回家一看存单上写的是一年。",
        "我让转{amt}，到账的却是另一个数字。",
        "回单上的户名根本不是我。",
        "取了{cash}元，回到家数了两遍少了一张。",
        "我要的是改密码，结果她把我的卡挂失了。",
        "钱没转给我妈，转到了一个陌生人的账户上。",
        "她把别人的资料混进了我的单子里。",
        "我的预留信息被改成了另一个人的。",
        "{amt}元存进去三天了，账户里一分都没有。",
        "明明只办了一笔，账户里却出去了两笔{amt}元。",
        "我交代了三遍是对公账户，结果还是打到了个人户。",
        "存折上的余额和我自己算的差了{cash}元。",
        "利息算得不对，少了好几十块。",
        "本来是给我开通短信提醒，却给我关掉了。",
        "我的预留手机号被换成了一个不认识的号码。",
        "我要注销旧卡，她却把正在用的新卡注销了。",
        "签字页让我签在了别人的名字后面。",
        "转账附言被写成了别的内容，对方公司不认。",
        "原本约定自动转存，到期却变成了活期。",
        "她给我办的定投日期和我要求的根本不是一天。",
        "社保卡激活了半天，回家发现激活的是我老伴的。",
        "汇款人写成了我的同事，收款方一直查不到。",
    ),
    "inconsistent_info": (
        "三个工作人员三种说法，我不知道该听谁的。",
        "大堂经理和柜员的口径完全不一致。",
        "电话里说的和网点说的不一样，白跑一趟。",
        "每个人说法不一，把我推来推去。",
        "问了半天谁也解释不清到底需要什么。",
        "几个部门互相踢皮球，都说不归自己管。",
        "昨天说可以办，今天又说不行，前后说法不一致。",
        "网上公布的规定和网点执行的不一样。",
        "客户经理说不要钱，柜员说要交，到底哪个说法对？",
        "一个问题问了四个人，得到四个不一样的答案。",
        "你们内部口径都统一不了，让客户怎么办。",
        "工作人员自己都说不清楚是怎么回事。",
        "在二楼和一楼之间被推来推去好几趟。",
        "官网写的营业时间和门口贴的不一样。",
        "支行说要去分行办，分行又说支行就能办，互相踢皮球。",
        "同样的业务上次不需要这份证明，这次又说必须要，说法不一。",
        "大堂经理让我去里面问，里面让我找大堂经理，踢皮球。",
        "热线的说法和网点完全不一致。",
        "同一个支行，上午下午两个口径。",
        "工作人员对政策的理解都不一样。",
        "利率的事谁也解释不清，每次问答案都不同。",
        "问来问去，没有一个人能说清楚，全在推来推去。",
        "我问能不能办，左边的说能，右边的说不能。",
        "第一次来说缺户口本，第二次来又说缺收入证明。",
        "来回跑了{times}趟，每次都被告知还差点东西。",
        "一会儿让我去这边，一会儿让我去那边。",
        "他们自己也搞不明白，最后让我回去等通知。",
        "客户经理拍胸脯说没问题，到了里面却办不了。",
        "我被从一楼支到三楼，又从三楼支回一楼。",
        "问到第三个人才有人告诉我其实在手机上就能办。",
        "昨天让我带原件，今天来了又说复印件就行。",
        "同一个问题，这周的回答跟上周完全相反。",
        "她说她也不清楚，让我问别人，别人又让我回来问她。",
        "上个月在你们另一个网点办过，这里却说根本没有这项业务。",
        "网点让我去问总行，总行又让我回网点问。",
        "对方讲了半天，我到现在也不知道卡为什么被限制。",
        "每换一个人就要从头讲一遍，答案还都不同。",
        "到底要不要预约，问了三个人三个答案。",
        "宣传单上写着可以，工作人员却说早就停了。",
        "他说利息按月算，另一个人又说按季度算。",
        "我被指挥着楼上楼下跑了{times}趟。",
        "上周通知我可以来取，来了又说还没到。",
        "问什么都是“应该可以吧”“好像不行”，没有一句准话。",
        "一个说要本人到场，一个说家属代办也行，我到底该信谁？",
    ),
    "fees": (
        "莫名其妙被收了{fee}元手续费。",
        "信用卡年费没人提醒，直接扣了{fee2}元。",
        "小额账户管理费每个季度都在扣，从来没通知过我。",
        "跨行转账手续费比别家贵很多。",
        "短信服务费每月扣{fee}块，我根本没开通过。",
        "销户还要收费，这是什么道理？",
        "挂失补卡收了{fee}元工本费，太离谱了。",
        "办理业务前没有告知收费标准。",
        "账户管理费一年扣了好几次。",
        "取现手续费不透明，说好免费的结果还是扣了。",
        "收费项目这么多，也不写清楚。",
        "提前还款要收违约费用，签合同时根本没说。",
        "开个存款证明要收费{fee}元。",
        "信用卡分期手续费实际利率远高于宣传。",
        "汇款手续费按比例收，到账少了一大截。",
        "网银的年费我从来没听说过。",
        "扣费之前没有任何短信提醒。",
        "一张用不着的卡，每年收我{fee}元年费。",
        "查询流水还要收费，太不合理了。",
        "各种费用名目繁多，说白了就是变着法子收钱。",
        "换卡的工本费凭什么让客户出？",
        "免年费的承诺到了第二年就不算数了。",
        "卡里莫名少了{fee}块钱。",
        "什么也没干，账户里每个月都少几块钱。",
        "我明明只转了{amt}元，到账却少了{fee}元。",
        "对账单上多了一笔{fee}元，问了也说不清是什么。",
        "一年下来被扣了{fee2}元，我都不知道为什么。",
        "存了点零钱在里面，放了一年反而变少了。",
        "一张不常用的卡，余额被一点点扣光了。",
        "每个季度都被划走{fee}元，谁同意的？",
        "我的信用卡账单里凭空多出一笔{fee2}元的项目。",
        "打印几张流水也要交钱。",
        "说好不花钱的业务，办完才告诉我要交{fee}元。",
        "钱少了{fee}元，只说是自动划扣的。",
        "老人的养老金卡每月都被划掉几块钱。",
        "余额不足几百块就开始被扣钱，这是欺负穷人吗？",
        "办卡时说零成本，现在每年都要交钱。",
        "我的存款一分利息没拿到，倒先被扣了钱。",
        "短信提醒我都没开，却一直在扣钱。",
        "转{amt}块钱给家里，被截了{fee}块。",
        "刚收到一条扣款通知，{fee2}元，我完全不知情。",
        "银行的钱是越存越少，你们划钱倒是很积极。",
        "这些小钱单看不多，一年下来也有一百多。",
        "连挂个失都要掏钱。",
    ),
    "process_complexity": (
        "手续太繁琐了，办个{biz}要跑好几次。",
        "要求的材料一大堆，{doc}、{doc2}缺一样都不行。",
        "流程复杂，光签字就签了十几处。",
        "填表填了{times}张，内容全是重复的。",
        "同样的材料每次来都要重新交一遍。",
        "开个对公账户，手续前后拖了两个多星期。",
        "办理流程太复杂，老年人根本搞不懂。",
        "一件小事要这么多手续，太麻烦了。",
        "每次都要复印{doc}，真麻烦，你们系统里不是有吗？",
        "材料交了三遍，还说不齐全。",
        "表格里好几栏都要重复填写同样的信息。",
        "改个手机号这么麻烦，还得本人带{doc}到场。",
        "手续一项接一项，没完没了。",
        "繁琐的流程让人望而却步。",
        "这个业务在别的银行很简单，在你们这里手续复杂得多。",
        "要填的表格足足有{pages}页。",
        "材料清单没有一次性告诉我，害我跑了好几趟。",
        "流程里有太多不必要的环节。",
        "光是核实身份的手续就折腾了半个小时。",
        "办个代发工资，公司要交的材料比申请贷款还多。",
        "为了证明“我是我”，手续办了一整天。",
        "线上说能办，结果还是要线下补一堆材料。",
        "签了十几个名字，手都签酸了。",
        "{doc}复印了一份又一份。",
        "同一个信息写了四遍：姓名、电话、地址，来来回回。",
        "为了取家里老人的钱，要开证明、要公证，还要本人视频。",
        "一张单子写错一个字就要整张重写。",
        "要先去居委会盖章，再去派出所开证明，最后才能来银行。",
        "什么都要我证明，连我妈是我妈都要证明。",
        "按了好几次手印，拍了好几次照。",
        "前前后后跑了{times}次才把这事办下来。",
        "每一步都要等审批，一个简单的事拖了一周。",
        "给我一摞单子让我自己看着填，根本看不懂。",
        "要求提供的{doc}我上个月刚交过。",
        "又要原件又要复印件，复印件还要签字盖章。",
        "单位的公章盖了一遍不算，还要再盖骑缝章。",
        "一个改地址的小事，搞得跟办贷款一样。",
        "以为带着身份证就够了，结果还要{doc}。",
        "人脸识别做了{times}次才通过。",
        "要经办人、法人、财务三个人同时到场，谁有那么多时间？",
        "光是阅读和签署各种告知书就花了二十分钟。",
        "办完一项又被告知要去另一个部门再办一项。",
        "每一张纸都要签名加日期，还要抄写“本人已阅读”。",
        "就为了销一个账户，来来回回准备了{times}次东西。",
    ),
    "self_service_tech": (
        "ATM吞了我的卡，等了两天才拿回来。",
        "手机银行APP更新后一直闪退。",
        "网银登录不上，提示系统繁忙。",
        "自助机器坏了好几台，一直没人修。",
        "取款机取钱没吐钞，账户却少了{cash}元。",
        "手机银行转账一直提示“交易失败”。",
        "系统升级也不提前通知，转账全卡住了。",
        "APP的界面改来改去，找个功能要找半天。",
        "自助终端打印不了流水。",
        "存款机吞了钱，屏幕显示交易超时。",
        "网银U盾驱动装了一下午都装不上。",
        "手机银行人脸识别总是失败。",
        "自助区一排机器只有一台能用。",
        "APP一到月底就卡得打不开。",
        "系统故障，里里外外都办不了业务。",
        "手机银行的验证码总是收不到。",
        "ATM屏幕失灵，按什么都没反应。",
        "网银转账成功了，对方却一直没到账，系统也查不到记录。",
        "手机银行页面广告太多，关都关不掉。",
        "自助发卡机提示故障，工作人员说“它经常这样”。",
        "新版APP把常用的转账入口藏起来了。",
        "手机银行动不动就自动退出，要重新登录。",
        "机器把卡吞了，旁边也没有工作人员。",
        "刷脸刷了{times}次都说不是本人。",
        "转账按钮点了没反应，再点一次却转了两次钱。",
        "插卡以后屏幕就黑了。",
        "输完密码一直转圈圈，最后提示超时。",
        "短信验证码过了十分钟才到，早就失效了。",
        "更新完连登录页面都进不去。",
        "存进去的钱机器没认，钞票也没退出来。",
        "那台取钱的机器已经坏了一个多月了。",
        "晚上想转个账，页面一直显示“维护中”。",
        "一点查询余额就白屏。",
        "指纹登录突然不能用了，重新设置也不行。",
        "扫码付款总是提示“网络异常”，但我的网络很好。",
        "夜里取钱机器卡住，钱吐了一半又吞回去了。",
        "电脑上的U盾插上去根本识别不了。",
        "我{age}岁的母亲根本不会用那台机器，旁边也没人教。",
        "绑卡绑了一晚上，每次都卡在最后一步。",
        "密码明明没错，却提示账户已锁定。",
        "一个月内已经是第三次打不开了。",
        "操作到一半页面自己跳走了，钱也不知道转没转出去。",
        "网页版在我的电脑上一直显示乱码。",
        "存折补登机永远是“暂停服务”。",
    ),
    "counter_arrangement": (
        "{win}个窗口只开了{open}个。",
        "对私窗口只有一个在办业务，其他都挂着暂停服务。",
        "柜台明明有人，却挂着“暂停服务”的牌子。",
        "午休时间只留一个窗口。",
        "VIP窗口空着也不给普通客户办。",
        "现金窗口只开了一个，办什么都得耗着。",
        "窗口设置不合理，简单业务和复杂业务混在一起。",
        "好几个柜台空着没人，客户却挤成一团。",
        "一个窗口办一笔对公业务要半小时，后面全堵住了。",
        "对公窗口常年只开一个。",
        "周末只开两个窗口，人却是平时的两倍。",
        "窗口人员说要去开会，直接关了窗口。",
        "快下班的时候窗口一个接一个关掉。",
        "开放的窗口太少，是不是人手不够？",
        "老年人专用窗口形同虚设。",
        "窗口的工作人员中途离开了二十分钟。",
        "柜台上“暂停服务”的牌子放了一上午。",
        "开着的窗口在办理财签约，别的业务都办不了。",
        "月初代发工资的日子，柜台还是只开一个。",
        "窗口不分业务类型，取十块钱也要跟办贷款的挤一起。",
        "对公和对私窗口分配不合理，对公那边闲着，对私这边挤爆了。",
        "明明有{win}个柜台，永远只看到一两个亮着灯。",
        "里面坐着好几个工作人员，真正在办业务的只有一个。",
        "一排座位后面只有一个人在干活，其他人在整理东西。",
        "能办现金的只有最边上那一个，其他的只办非现金。",
        "牌子一翻，“暂停服务”，人就走了。",
        "大厅里一半的工位是空的，灯都没开。",
        "贵宾室门口空荡荡，普通客户这边挤得转不开身。",
        "人手明显不够，一个人要管好几件事。",
        "工作人员一个个去吃饭，最后只剩一个人在办。",
        "换班的时候所有人都停下来交接，足足十分钟没人办业务。",
        "那个办对公的位置一直空着，对公客户只能干坐着。",
        "以前有{win}个人办业务，现在只剩{open}个了。",
        "能办存折业务的只有一个位置。",
        "明明业务量这么大，却撤掉了好几个办理位。",
        "为什么不多安排几个人手？",
        "早上九点开门，到九点半才有人坐下来办业务。",
        "四点半就不再接新的业务了。",
        "坐在里面的工作人员明明闲着，就是不开灯接客。",
        "人多的时候也不增开，人少的时候反而全都开着。",
        "高峰时段只安排一名柜员。",
        "办理位从五个减到两个，理由是“人手紧张”。",
        "大堂经理说其他人都去培训了，就剩一个人办业务。",
        "后面一排工位全部空着，电脑都没开。",
    ),
    "environment": (
        "大厅环境很差，地上到处是纸屑。",
        "座位太少，很多人只能站着。",
        "夏天空调不开，大厅里闷得像蒸笼。",
        "冬天空调坏了，冻得人直哆嗦。",
        "网点没有停车位，停在路边还被贴了罚单。",
        "想用一下厕所，说是不对外开放。",
        "椅子坏了好几把也没人修。",
        "卫生状况堪忧，桌面上一层灰。",
        "洗手间又脏又臭。",
        "网点环境嘈杂，广播声音震耳朵。",
        "门口停车位被员工的车占满了。",
        "座位上到处是污渍，根本没法坐。",
        "空调开得太冷，老人孩子受不了。",
        "填单台的笔都是坏的，环境也乱糟糟。",
        "大厅的灯坏了一半，环境阴暗。",
        "卫生间常年锁着。",
        "装修的味道很刺鼻，环境很差。",
        "网点的椅子硬邦邦的，坐久了腰疼。",
        "附近停车难，网点也不给停车券。",
        "座位被宣传展架占了一半。",
        "地板脏兮兮的，像好几天没打扫。",
        "饮水机是空的，一次性杯子也没有。",
        "无障碍通道被杂物堵住，轮椅进不去。",
        "雨天门口积水，也不铺个防滑垫。",
        "大厅里热得人直冒汗，扇子都不够用。",
        "门口的台阶太高，老人上下很吃力。",
        "大厅里一股烟味，不知道是谁在抽烟。",
        "窗户上的玻璃裂了也没换。",
        "地面刚拖过很滑，我母亲差点摔倒。",
        "垃圾桶满了溢出来，苍蝇乱飞。",
        "老花镜、计算器这些便民设施一样都找不到。",
        "电视声音开得巨大，吵得人头疼。",
        "车没地方放，只能绕着转了好几圈。",
        "大门的自动门坏了，得用手推。",
        "一进门就闻到一股霉味。",
        "大厅里蚊子特别多，腿上被咬了好几个包。",
        "人挤人站着，连个扶手都没有。",
        "墙上的宣传海报都泛黄卷边了。",
        "灯管一直在闪，看得眼睛难受。",
        "找不到地方给孩子换尿布，也没个母婴室。",
        "门口堆着装修用的东西，进出都得侧着身子。",
        "冬天大门一直敞着，里面和外面一样冷。",
    ),
    "hotline": (
        "客服热线打了{times}次都打不通。",
        "转人工要等{m}分钟，最后还自动挂断了。",
        "打客服电话一直提示“坐席忙”。",
        "人工服务根本转不进去。",
        "热线的语音菜单绕来绕去，就是找不到人工。",
        "好不容易接通客服，说了两句就断线了。",
        "客服电话接通后让我等待，一等就是半小时。",
        "打了一上午热线，一直占线。",
        "客服转接了三次，每次都要重新验证身份。",
        "晚上打客服电话说人工已下班。",
        "热线等待音乐听了{m}分钟。",
        "信用卡客服电话根本没人接。",
        "客服人员一直在念话术，不解决问题。",
        "打95开头的号码，按照提示操作后又回到了主菜单。",
        "电话里的客服说会转给专人，结果再也没有下文。",
        "转接人工后被告知这个问题要去网点处理。",
        "热线号码在官网上都找不到。",
        "人工客服提示前面还有几十位客户。",
        "客服电话一会儿让按1一会儿让按2，最后又挂了。",
        "在线客服永远是机器人回复。",
        "按提示说了三遍“转人工”，系统都听不懂。",
        "客服接起来第一句就是“这个我们查不到”。",
        "按了七八个键，那头还是录音在说话。",
        "拨过去永远是“您好，现在是业务高峰期”。",
        "听筒里的音乐我都能背下来了。",
        "连拨了一个小时，一直是忙音。",
        "好不容易有个真人接起来，刚说一半就断了。",
        "每次都要先输卡号、再输身份证号，输完又让重输。",
        "机器人只会反复问“请问您要办理什么业务”。",
        "那头的小姑娘一问三不知，只会让我去网点。",
        "拨过去说“稍后联系您”，三天了没有动静。",
        "我的手机打了{m}分钟，话费都打没了。",
        "夜里卡被盗刷想紧急冻结，可是根本找不到活人。",
        "听了五分钟广告才进入正题。",
        "拨通以后等了二十分钟，被告知“线路繁忙请稍后再拨”。",
        "给我回拨的号码是空号，我根本打不回去。",
        "每次都要从头讲一遍，换了三个接线员。",
        "语音导航里根本没有我要办的选项。",
        "拨了一整个午休时间，一直没有人应答。",
        "好不容易有人接，对方说这个不归他们管。",
        "我年纪大了，听着那一串菜单根本记不住按哪个键。",
        "挂失要找真人，可一直被机器拦着。",
        "一打就是忙音，我都怀疑这号码是不是摆设。",
        "那个号码永远在排线，像是没人上班。",
    ),
    "mis_selling": (
        "去存钱被推销了{prod}，说是保本的。",
        "客户经理误导我买了{prod}，现在亏了{amt}元。",
        "办贷款被强制搭售保险。",
        "开卡时捆绑了一堆我不需要的服务。",
        "理财经理忽悠我把定期取出来买{prod}。",
        "营销电话一天打好几个。",
        "柜员一直推销信用卡，不办就拖着不给我办业务。",
        "说是存款，实际签的是{prod}合同，这是误导。",
        "给老人推销{prod}，根本没说清楚风险。",
        "强制要求开通手机银行才能办卡。",
        "搭售的保险每年自动续上。",
        "推销的时候说随时可以取，真要取的时候要付违约金。",
        "办业务的时候硬塞给我一张信用卡，说是营销任务。",
        "客户经理利用我父亲不懂，忽悠他签了{prod}。",
        "为了冲业绩，营销话术里全是夸大收益。",
        "我明确拒绝了三次，还在推销。",
        "被骗买了{prod}，所谓的高收益根本不存在。",
        "贷款必须先买理财，这不是捆绑是什么？",
        "宣传单上的收益率是误导性的。",
        "强制我下载APP并注册才给办理。",
        "营销人员在大厅里拉着人不放。",
        "理财经理说风险很低，其实是高风险产品，完全误导。",
        "本来只想存个定期，出来时手里多了一份{prod}合同。",
        "说是“跟存款一样稳”，结果到期亏了本金。",
        "她让我在平板上签个字，说是领礼品，回家才发现是买了{prod}。",
        "我{age}岁的母亲被劝着把养老钱全买了{prod}。",
        "说好的年化{rate}%，实际到手连一半都没有。",
        "签完才知道五年内取出来要损失一大笔。",
        "说是送的，结果第二年开始要自己续。",
        "不买他们的产品，就说贷款审批不下来。",
        "一进门就被拉去“了解一下”，半个小时走不掉。",
        "合同里的关键条款一个字都没跟我讲。",
        "风险测评是工作人员替我勾的。",
        "风险等级根本不适合我，却让我买了。",
        "签字的时候只让我签名，不让我看内容。",
        "所谓“内部额度”“最后一天”，都是吓唬人的。",
        "每次来取钱都要被劝一遍买这买那。",
        "业务员说这是存款的一种，我才同意的。",
        "我说只要借记卡，结果多了一张信用卡寄到家里。",
        "礼品还没拿到，{prod}已经开始扣款了。",
        "他们专挑老年人下手，说得天花乱坠。",
        "让我把一年期的存单提前取出来，损失了利息去买他们的产品。",
        "推荐的产品和我说的需求毫不相干。",
        "双录的时候让我照着念“我已知晓风险”。",
    ),
    "complaint_handling": (
        "上个月就投诉过了，到现在没有任何回复。",
        "说好三个工作日回电，一周了也没人联系我。",
        "投诉被转来转去，没有人真正处理。",
        "处理结果敷衍了事，连个道歉都没有。",
        "投诉后反而被工作人员打电话来质问。",
        "给的答复完全是模板，问题根本没解决。",
        "投诉了{times}次，每次都说在处理中。",
        "分行说让支行处理，支行说已上报分行。",
        "没有一个人跟我道歉。",
        "投诉工单显示“已办结”，可我从没接到过电话。",
        "处理投诉的人态度比柜员还差。",
        "回复内容只说“已对员工进行教育”，我的损失谁来赔？",
        "投诉后网点负责人说“你去告吧”。",
        "说投诉已升级，后面就石沉大海。",
        "回电的人对我的问题一无所知。",
        "处理期限早就过了，连个解释都没有。",
        "投诉渠道形同虚设。",
        "要求我先撤回投诉，才肯给我处理。",
        "至今没有收到书面答复。",
        "处理人员只会推卸责任。",
        "要求道歉，对方说“我们没有错”。",
        "投诉到现在两个月了，还在“核实中”。",
        "上次反映的问题就像扔进了大海，一点水花都没有。",
        "等了一个星期，手机一次都没响过。",
        "说好给我一个说法，到现在一个字都没有。",
        "每次打过去都说“已经在跟进了”。",
        "留了联系方式让我等消息，消息呢？",
        "网点主任说这事他做不了主，让我找上级，上级又推回网点。",
        "我要的不多，就是一句“对不起”。",
        "反映了{times}次，每次换一个人接手，每次从头说起。",
        "最后只给我送了一桶油，问题却没人管。",
        "意见簿上写满了意见，从来没人看过。",
        "说要调监控给我看，后来就不了了之了。",
        "负责人避而不见，找也找不到。",
        "给我的解释前后矛盾，明显是在拖时间。",
        "让我写了情况说明，然后就再也没下文了。",
        "联系我的人只是来确认我还生不生气。",
        "我的损失到现在都没有人赔。",
        "一个小问题拖了一个多月都没个结果。",
        "上门来的经理只是让我签一个“满意”的确认单。",
        "说是“特事特办”，结果比平时还慢。",
        "我已经不想再听“理解您的心情”这句话了。",
        "等你们给个结论，我的耐心已经耗尽了。",
        "在意见箱里塞了信，三个月过去了，毫无反应。",
    ),
}

#: Terse post-handling survey comments per theme.
SHORT_PHRASES: dict[str, tuple[str, ...]] = {
    "queuing": ("排队太久了", "太慢了", "等太久了", "排队时间太长", "叫号太慢", "等了快两个小时", "效率太低"),
    "staff_attitude": ("态度差", "服务态度太差了", "柜员不耐烦", "工作人员很冷漠", "爱答不理的", "说话太冲"),
    "operation_error": ("业务办错了", "把金额弄错了", "办错了还不认", "操作失误", "数钱数错了", "又出错了"),
    "inconsistent_info": ("说法不一", "每个人说的不一样", "解释不清楚", "推来推去", "三个人三个说法"),
    "fees": ("乱收费", "手续费太贵", "莫名扣钱", "年费不合理", "管理费乱扣", "收费不透明"),
    "process_complexity": ("手续太繁琐", "材料太多了", "流程太复杂", "太麻烦了", "表格太多", "跑了三趟"),
    "self_service_tech": ("APP老闪退", "ATM又坏了", "网银登不上", "手机银行太难用", "系统老故障"),
    "counter_arrangement": ("窗口开太少了", "只开一个窗口", "柜台都空着", "窗口太少", "暂停服务太多"),
    "environment": ("环境太差了", "没地方坐", "空调不开，太热", "没有停车位", "卫生太差"),
    "hotline": ("热线打不通", "转不了人工", "客服电话没人接", "热线等太久", "客服打不进去"),
    "mis_selling": ("别再推销了", "强行推销理财", "被忽悠买了保险", "搭售太恶心", "推销太烦人"),
    "complaint_handling": ("投诉没人管", "至今没回复", "投诉石沉大海", "没人回电话", "处理太敷衍"),
}

#: Topics outside the taxonomy ("emerging" topics a topic model can find).
OTHER_TOPICS: dict[str, tuple[str, ...]] = {
    "coin_exchange": (
        "想把{coins}换成整钱，网点说不收硬币。",
        "带着{coins}去存，说硬币清点机坏了不能存。",
        "想换点新零钱发红包，说零钞已经换完了。",
        "小卖部攒下的硬币拿去兑换，被拒收，说只能去人民银行。",
        "换一百块的五角硬币都说没有。",
        "存零钱被要求自己先按面额分好、捆好。",
        "说硬币兑换要预约，还得等到下周。",
        "过年前想换点新钱，说每人只能换两百。",
        "店里收的零钱存不进去，说太多了影响别人。",
        "拿着残缺的纸币去兑换，被告知不予兑换。",
        "一句“硬币去别的网点存”就把我打发了。",
        "孩子存钱罐里的硬币存不进去，孩子很失望。",
        "换零钱要先开一个账户，这是什么规定？",
        "攒的一元硬币数了三遍，结果说不收散币。",
        "门口挂着零钞兑换的牌子，真去换了说不办。",
    ),
    "fx_exchange": (
        "想换点{cur}出国用，说没有现钞，要提前三天预约。",
        "回国剩下的{cur}现钞兑换不了，说只收整额。",
        "购汇说这个网点不办外币业务，要去市中心的网点。",
        "给在国外留学的孩子汇学费，说购汇用途要重新申报。",
        "换的{cur}里有一张是旧版，国外商店不收。",
        "外币存款的利率怎么突然调低了那么多？",
        "{cur}现钞预约好了，到网点又说没调到货。",
        "兑换牌价和手机上看到的差了不少。",
        "在境外刷卡被拒，出国前明明问过说可以用。",
        "外币存折取现要等三天。",
        "我要把{cur}换回人民币，说小面额不收。",
        "出国前换的现钞里有两张破损，到了国外用不了。",
        "说外币兑换暂停了，也没说什么时候恢复。",
        "想换一点{cur}给孩子旅游用，跑了两个网点都没有。",
        "境外汇来的款到了一个星期还没入账。",
    ),
}

OTHER_SHORT: dict[str, tuple[str, ...]] = {
    "coin_exchange": ("硬币都不给换", "零钱兑换被拒", "不收硬币", "换不到零钱"),
    "fx_exchange": ("换不到外币", "外币兑换太难", "没有外币现钞", "购汇办不了"),
}

#: Story phrases (used only by the built-in stories).
_CHENGDONG_STORY = (
    "自从三月份以后，这里的窗口明显少了。",
    "听说今年撤了几个柜员，现在每次来都要等很久。",
    "以前这里开四五个窗口，现在常年只开两个。",
    "三月以后这个网点简直没法来了。",
    "今年开始人手砍了一半，客户全堵在大厅里。",
    "原来的柜员调走了，新的也没补上。",
)
_FEE_STORY = (
    "七月份开始，余额不足{thr}元的账户每季度要收{fee}元小额账户管理费。",
    "7月起新增的短信通知服务费，没经过我同意就开始扣了。",
    "新规定说月均余额低于{thr}元就收管理费，连老人的养老卡都不放过。",
    "突然收到短信说7月起收取账户管理费，这钱凭什么收？",
    "7月份起每月{fee}块的短信费，我一直以为是免费的。",
    "小额账户管理费这个新收费项目太坑了。",
    "通知说账户管理费7月开始收，也没问过客户意见。",
)
_APP_STORY = (
    "11月新版手机银行上线后，我就再也登不进去了。",
    "这次APP大改版，老用户完全找不到转账入口。",
    "更新到新版本以后，每次打开都要重新验证。",
    "升级后的手机银行一直闪退，旧版本还不让用。",
    "新版APP把我的收款人名单全部清空了。",
)

GARBAGE_TEXTS: tuple[str, ...] = ("", "   ", "。。。", "asdfasdf", "1111", "无", "？？", "test", "……", "1")

# ---------------------------------------------------------------------------
# Effect model
# ---------------------------------------------------------------------------

#: Baseline of the latent 1-5 satisfaction score (no theme, reference levels).
BASELINE: float = 4.3
#: Standard deviation of the Normal noise added to the latent score.
NOISE_SD: float = 0.6

#: Per-theme effect on the latent satisfaction score (all negative).
TRUE_EFFECTS: dict[str, float] = {
    "queuing": -0.35,
    "staff_attitude": -1.05,
    "operation_error": -1.30,
    "inconsistent_info": -0.75,
    "fees": -0.65,
    "process_complexity": -0.45,
    "self_service_tech": -0.15,
    "counter_arrangement": -0.55,
    "environment": -0.25,
    "hotline": -0.85,
    "mis_selling": -0.95,
    "complaint_handling": -1.15,
}

#: Relative drawing weight of each theme (prevalence; NOT ordered like effects).
_THEME_WEIGHTS: dict[str, float] = {
    "queuing": 0.20,
    "staff_attitude": 0.13,
    "operation_error": 0.07,
    "inconsistent_info": 0.09,
    "fees": 0.08,
    "process_complexity": 0.10,
    "self_service_tech": 0.09,
    "counter_arrangement": 0.06,
    "environment": 0.04,
    "hotline": 0.06,
    "mis_selling": 0.05,
    "complaint_handling": 0.03,
}

#: Co-occurrence affinities (multiplier on the weight of a second/third theme).
_AFFINITY: dict[tuple[str, str], float] = {
    ("queuing", "counter_arrangement"): 3.0,
    ("queuing", "environment"): 2.0,
    ("queuing", "staff_attitude"): 1.5,
    ("staff_attitude", "complaint_handling"): 3.0,
    ("operation_error", "complaint_handling"): 2.5,
    ("operation_error", "staff_attitude"): 1.5,
    ("inconsistent_info", "process_complexity"): 3.0,
    ("fees", "mis_selling"): 3.0,
    ("fees", "inconsistent_info"): 1.5,
    ("hotline", "complaint_handling"): 2.5,
    ("hotline", "self_service_tech"): 2.0,
    ("mis_selling", "complaint_handling"): 1.5,
}

#: Branches with relative complaint volume and satisfaction offset.
BRANCHES: dict[str, float] = {
    "城东支行": 0.17,
    "城西支行": 0.14,
    "高新区支行": 0.16,
    "开发区支行": 0.11,
    "江北支行": 0.10,
    "老城区支行": 0.12,
    "滨江支行": 0.09,
    "大学城支行": 0.06,
    "营业部": 0.05,
}
BRANCH_EFFECTS: dict[str, float] = {
    "城东支行": -0.10,
    "城西支行": 0.00,
    "高新区支行": 0.10,
    "开发区支行": -0.05,
    "江北支行": 0.05,
    "老城区支行": -0.15,
    "滨江支行": 0.08,
    "大学城支行": 0.00,
    "营业部": 0.12,
}

CHANNELS: dict[str, float] = {
    "网点": 0.40,
    "电话": 0.25,
    "手机银行": 0.15,
    "网上银行": 0.08,
    "信函": 0.05,
    "微博": 0.07,
}
CHANNEL_EFFECTS: dict[str, float] = {
    "网点": 0.00,
    "电话": -0.05,
    "手机银行": 0.05,
    "网上银行": 0.05,
    "信函": -0.20,
    "微博": -0.30,
}

CUSTOMER_TYPES: dict[str, float] = {"个人": 0.72, "对公": 0.16, "VIP": 0.12}
CUSTOMER_TYPE_EFFECTS: dict[str, float] = {"个人": 0.00, "对公": -0.10, "VIP": -0.20}

#: Service target for handling a complaint (hours); slower handling is penalised.
HANDLING_TARGET_HOURS: float = 48.0
#: Satisfaction penalty per day of handling beyond the target.
HANDLING_PENALTY_PER_DAY: float = 0.10
#: Median handling time (hours) by channel; log-normal with sigma 1, capped at 240 h.
_HANDLING_MEDIAN_HOURS: dict[str, float] = {
    "网点": 16.0, "电话": 20.0, "手机银行": 22.0, "网上银行": 24.0, "信函": 80.0, "微博": 6.0,
}
_HANDLING_SIGMA = 1.0
_HANDLING_MAX_HOURS = 240.0

#: Share of rows with the survey not answered (satisfaction missing).
_MISSING_RATE = 0.03
_NO_THEME_RATE = 0.05
_TRADITIONAL_RATE = 0.085
_PII_RATE = 0.10
_DUP_RATE = 0.03
_GARBAGE_RATE = 0.003
_K_PROBS = (0.60, 0.30, 0.10)  # number of themes: 1, 2, 3

# Stories
_STORY_BRANCH = "城东支行"
_STORY_BRANCH_FROM = 14  # month index of 2024-03
_STORY_FEE_MONTH = 18  # 2024-07
_STORY_APP_MONTH = 10  # 2023-11

COLUMNS: tuple[str, ...] = (
    "id", "text", "satisfaction", "date", "branch", "channel", "customer_type",
    "received_at", "closed_at", "true_themes",
)

BANK_NAME = "某某银行"
SAMPLE_PATH: Path = Path(__file__).resolve().parents[2] / "data" / "sample" / "complaints.csv"

_START = date(2023, 1, 1)
_N_MONTHS = 24

# ---------------------------------------------------------------------------
# Slot values
# ---------------------------------------------------------------------------

_SLOTS: dict[str, tuple[str, ...]] = {
    "m": ("二十", "三十", "四十", "五十", "四十五", "六十", "九十", "20", "25", "35", "40", "50", "55", "70", "80"),
    "h": ("一个多", "两个", "两个多", "三个", "一个半", "将近三个", "2", "3"),
    "k": ("两", "三", "五", "七", "十来", "二十多", "3", "4", "6", "8"),
    "amt": ("500", "2000", "3000", "5000", "一万", "两万", "800", "12000", "1500", "6万"),
    "cash": ("100", "200", "50", "500", "300"),
    "fee": ("10", "15", "20", "3", "6", "12", "25", "50", "2", "5"),
    "fee2": ("80", "100", "200", "300", "600", "360", "150"),
    "prod": ("理财产品", "分红险", "基金", "信用卡分期", "贵金属", "万能险", "基金定投", "养老保险", "结构性产品"),
    "role": ("柜员", "大堂经理", "客户经理", "保安", "理财经理", "值班主任", "那个女柜员", "窗口的小伙子", "工作人员"),
    "win": ("六", "八", "五", "七", "十"),
    "open": ("一", "两"),
    "times": ("两", "三", "四", "好几", "五"),
    "doc": ("身份证复印件", "户口本", "收入证明", "营业执照", "授权委托书", "结婚证", "银行流水", "居住证"),
    "doc2": ("公章", "工作证明", "房产证", "原开户凭证", "社保卡", "介绍信", "法人身份证"),
    "pages": ("四", "五", "六", "七", "8", "10"),
    "age": ("七十", "七十多", "八十", "六十多", "八十多"),
    "rate": ("4.5", "5.2", "6", "3.8", "4.2"),
    "qno": ("A035", "A102", "B017", "A088", "C009", "A156", "B063"),
    "coins": ("一袋硬币", "两罐一元硬币", "一大包零钱", "攒了一年的硬币", "一箱五角硬币"),
    "cur": ("美元", "欧元", "日元", "港币", "英镑", "泰铢"),
    "thr": ("1000", "2000", "3000", "300"),
    "company": ("鑫达商贸有限公司", "恒远物流有限公司", "明辉建材有限公司", "润泽餐饮管理有限公司", "启航科技有限公司"),
}

_BIZ = ("转账", "挂失", "开户", "销户", "改密码", "取款", "存款", "社保卡激活", "定期存款", "身份信息更新",
        "网银开通", "跨行汇款", "对公开户", "代发工资", "存折换卡")
_WHEN = ("昨天", "今天上午", "前天下午", "上周三", "周一", "周五下午", "上个周末", "今天")
_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林")

_FORMATTER = string.Formatter()


def _compile(templates):
    out = []
    for t in templates:
        slots = tuple(dict.fromkeys(f for _, f, _, _ in _FORMATTER.parse(t) if f))
        out.append((t, slots))
    return tuple(out)


_C_PHRASES = {k: _compile(v) for k, v in PHRASES.items()}
_C_OTHER = {k: _compile(v) for k, v in OTHER_TOPICS.items()}
_C_CHENGDONG = _compile(_CHENGDONG_STORY)
_C_FEE = _compile(_FEE_STORY)
_C_APP = _compile(_APP_STORY)

# ---------------------------------------------------------------------------
# Register pieces
# ---------------------------------------------------------------------------

_ANGRY_OPENERS = _compile((
    "{when}去{branch}办{biz}，",
    "今天到你们{branch}办理{biz}，",
    "我要投诉{branch}！",
    "真的忍无可忍了。",
    "说一下{when}在{branch}的遭遇：",
    "我是你们的老客户了，",
    "本人{when}到{branch}办理{biz}业务。",
    "{when}带我妈去{branch}办{biz}，",
    "作为一个十几年的老客户，",
    "实在受不了了，",
    "{when}在{branch}办{biz}，",
    "我想反映一下{branch}的问题。",
))
_ONLINE_OPENERS = {"手机银行": ("在手机银行里留言：", "APP意见反馈：", "意见反馈："),
                   "网上银行": ("通过网上银行提交意见：", "网银留言：", "意见反馈：")}
_CONNECTORS = ("而且", "更离谱的是，", "还有，", "另外，", "最气人的是，", "再说，")
_ANGRY_CLOSERS = (
    "太让人失望了！", "希望你们好好整改！", "要求给个说法！", "再这样我就销户了。", "请尽快处理。",
    "请相关负责人联系我。", "这就是你们的服务？", "真的很无语。", "强烈要求道歉！", "我会向监管部门反映。",
    "希望领导重视一下。", "以后再也不来了。",
)
_LETTER_HEADS = ("尊敬的" + BANK_NAME + "领导：您好！", "尊敬的{branch}负责人：", "致" + BANK_NAME + "客户服务中心：",
                 "尊敬的领导：您好！")
_LETTER_INTRO = {
    "个人": "本人系贵行个人客户，于{vdate}前往{branch}办理{biz}业务，现将遇到的问题反映如下。",
    "对公": "本人系{company}财务人员，于{vdate}前往{branch}为单位办理{biz}业务，现将有关情况反映如下。",
    "VIP": "本人系贵行贵宾客户，于{vdate}前往{branch}办理{biz}业务，遇到以下问题，特致函反映。",
}
_C_LETTER_HEADS = _compile(_LETTER_HEADS)
_C_LETTER_INTRO = {k: _compile((v,))[0] for k, v in _LETTER_INTRO.items()}
_LETTER_ORDINALS = ("第一，", "第二，", "第三，", "第四，", "第五，", "第六，")
_LETTER_REQUESTS = ("恳请贵行认真核查，并给予书面答复。", "望贵行高度重视，切实改进服务。", "特此致函，盼复。",
                    "希望贵行能够查明原因，妥善处理。")
_CALL_DEMANDS = {
    "queuing": "要求网点提高办理效率",
    "staff_attitude": "要求相关人员道歉",
    "operation_error": "要求核实并纠正差错",
    "inconsistent_info": "要求给出明确统一的答复",
    "fees": "要求退还相关费用",
    "process_complexity": "希望简化办理要求",
    "self_service_tech": "要求尽快修复故障",
    "counter_arrangement": "要求增开窗口",
    "environment": "希望改善网点环境",
    "hotline": "希望改善热线接通率",
    "mis_selling": "要求退保并停止推销",
    "complaint_handling": "要求尽快给出处理结果",
    "coin_exchange": "要求网点提供零钱兑换服务",
    "fx_exchange": "希望网点备足外币现钞",
}
_CALL_TAILS = ("已安抚客户情绪。", "已告知客户将在3个工作日内回复。", "建议网点核实处理。", "", "")
_SOCIAL_OPENERS = ("无语了", "真的服了", "避雷！", "有没有人管管", "吐槽一下", "气死我了", "", "")
_EMOJI = ("😡", "🙄", "👎", "😤", "💢", "🤬", "😓", "😭", "🤯", "😑")
_HASHTAGS = ("#" + BANK_NAME + "#", "#银行服务#", "#吐槽#", "#避雷#", "#消费者维权#", "#服务差#")
_TERSE_TAILS = ("", "。", "！", "，差评！", "，不满意", "，失望", "！！")
_DUP_PREFIXES = ("再次反映：", "第二次反映，", "重新提交一次：", "上次提交没反应，再发一遍：", "【重复投诉】", "追加投诉：")
_DUP_SUFFIXES = ("到现在还没有人联系我。", "请尽快处理！", "已经过去好几天了，问题还在。", "请给个答复。")

# PII sentence templates by register
_PII_FIRST = ("我的电话{mobile}，请回电。", "联系电话{mobile}。", "我的卡号{card}，你们自己查。", "卡号是{card}。",
              "身份证号{idno}，名下的卡都查一下。", "就是尾号{last4}的那张卡。", "我的手机{mobile}，卡号{card}。")
_PII_LETTER = ("本人身份证号码：{idno}，联系电话：{mobile}。", "涉及账户：{card}。", "联系电话：{mobile}。",
               "涉及银行卡尾号{last4}，联系电话：{mobile}。")
_PII_CALL = ("客户预留电话{mobile}。", "涉及卡号{card}。", "客户卡号尾号{last4}。", "客户身份证号{idno}。")
_PII_SOCIAL = ("电话{mobile}，有人管吗？", "卡号尾号{last4}，自己查！")
_PII_TERSE = ("，电话{mobile}", "，卡尾号{last4}")

_MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "182", "187", "188",
                    "130", "131", "132", "155", "156", "186", "133", "153", "180", "189", "177", "199", "166")
_CARD_BINS_16 = ("622202", "622848", "621700", "436742", "622588", "625965")
_CARD_BINS_19 = ("6222", "6228", "6217", "6216", "6212", "6230")
_REGIONS = ("110105", "310104", "440106", "320102", "330106", "510107", "420106", "370102", "210102",
            "610113", "350203", "430104", "500103", "120104", "410105")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def luhn_valid(number: str) -> bool:
    """True if the digit string passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _luhn_digit(partial: str) -> str:
    for d in "0123456789":
        if luhn_valid(partial + d):
            return d
    raise AssertionError("unreachable")


def id_checksum_valid(idno: str) -> bool:
    """True if an 18-character mainland ID number has a valid ISO 7064 MOD 11-2 check character."""
    if len(idno) != 18 or not idno[:17].isdigit():
        return False
    s = sum(int(c) * w for c, w in zip(idno[:17], _ID_WEIGHTS))
    return _ID_CHECK[s % 11] == idno[17].upper()


def _mobile(r: random.Random) -> str:
    return _ch(r, _MOBILE_PREFIXES) + "".join(_ch(r, "0123456789") for _ in range(8))


def _card(r: random.Random) -> str:
    if r.random() < 0.5:
        body = _ch(r, _CARD_BINS_16)
        body += "".join(_ch(r, "0123456789") for _ in range(15 - len(body)))
    else:
        body = _ch(r, _CARD_BINS_19)
        body += "".join(_ch(r, "0123456789") for _ in range(18 - len(body)))
    return body + _luhn_digit(body)


def _idno(r: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=r.randrange(0, 20089))  # up to end of 2004
    body = _ch(r, _REGIONS) + born.strftime("%Y%m%d") + f"{r.randrange(1, 1000):03d}"
    s = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS))
    return body + _ID_CHECK[s % 11]


# ---------------------------------------------------------------------------
# Text assembly
# ---------------------------------------------------------------------------


def _ch(r: random.Random, seq):
    """Fast uniform pick (``random.choice`` equivalent for our purposes)."""
    return seq[int(r.random() * len(seq))]


def _fill(item, r: random.Random, ctx: dict) -> str:
    tpl, slots = item
    if not slots:
        return tpl
    vals = {}
    for s in slots:
        v = ctx.get(s)
        if v is None:
            v = _ch(r, _SLOTS[s])
        vals[s] = v
    return tpl.format(**vals)


def _pii(tpls, r: random.Random) -> str:
    t = _ch(r, tpls)
    vals = {}
    if "{mobile}" in t:
        vals["mobile"] = _mobile(r)
    if "{card}" in t:
        vals["card"] = _card(r)
    if "{idno}" in t:
        vals["idno"] = _idno(r)
    if "{last4}" in t:
        vals["last4"] = f"{r.randrange(0, 10000):04d}"
    return t.format(**vals)


def _third_person(s: str) -> str:
    for a, b in (("我们", "他们"), ("我妈", "其母亲"), ("我母亲", "其母亲"), ("我父亲", "其父亲"), ("我家", "其家"),
                 ("我的", "其"), ("我", "客户"), ("你们", "网点")):
        s = s.replace(a, b)
    return s


def _body_phrases(themes, other, r, ctx, per_theme_max, story):
    """List of filled body sentences: primary theme first, story phrase inside."""
    out = []
    if other is not None:
        bank = _C_OTHER[other]
        for i in r.sample(range(len(bank)), _ch(r, (1, 1, 2))):
            out.append(_fill(bank[i], r, ctx))
        return out
    for j, t in enumerate(themes):
        bank = _C_PHRASES[t]
        hi = per_theme_max if j == 0 else max(1, per_theme_max - 1)
        kk = 1 + int(r.random() * hi)
        if kk == 1:
            out.append(_fill(bank[int(r.random() * len(bank))], r, ctx))
        else:
            for i in r.sample(range(len(bank)), kk):
                out.append(_fill(bank[i], r, ctx))
    if story is not None:
        out.insert(int(r.random() * (len(out) + 1)), _fill(_ch(r, story), r, ctx))
    return out


def _join_with_connectors(parts, r):
    out = [parts[0]]
    for p in parts[1:]:
        if r.random() < 0.25:
            out.append(_ch(r, _CONNECTORS) + p)
        else:
            out.append(p)
    return "".join(out)


def _fit(head: str, body: list, tail: str, limit: int = 400) -> str:
    while len(body) > 1 and len(head) + sum(map(len, body)) + len(tail) > limit:
        body.pop()
    text = head + "".join(body) + tail
    return text[:limit]


def _angry(themes, other, r, ctx, channel, pii, story):
    body = _body_phrases(themes, other, r, ctx, 3, story)
    head = ""
    if channel in ("手机银行", "网上银行") and r.random() < 0.3:
        head = _ch(r, _ONLINE_OPENERS[channel])
    if r.random() < 0.7:
        head += _fill(_ch(r, _ANGRY_OPENERS), r, ctx)
    joined = _join_with_connectors(body, r)
    if r.random() < 0.3:
        joined = joined.replace("。", "！")
    tail = ""
    if pii:
        tail += _pii(_PII_FIRST, r)
    if r.random() < 0.7:
        tail += _ch(r, _ANGRY_CLOSERS)
    if len(head) + len(joined) + len(tail) > 400:
        return _fit(head, body, tail)
    return head + joined + tail


def _letter(themes, other, r, ctx, ctype, pii, story):
    body = [b.replace("！", "。").replace("你们", "贵行") for b in _body_phrases(themes, other, r, ctx, 3, story)]
    if len(body) > 1 and r.random() < 0.6:
        body = [_LETTER_ORDINALS[i] + b if i < len(_LETTER_ORDINALS) else b for i, b in enumerate(body)]
    head = _fill(_ch(r, _C_LETTER_HEADS), r, ctx) + _fill(_C_LETTER_INTRO[ctype], r, ctx)
    tail = _ch(r, _LETTER_REQUESTS)
    if pii:
        tail += _pii(_PII_LETTER, r)
    tail += "此致 敬礼！客户：" + _ch(r, _SURNAMES) + _ch(r, ("先生", "女士")) + " " + ctx["ldate"]
    return _fit(head, body, tail)


def _call(themes, other, r, ctx, pii, story):
    body = [_third_person(b) for b in _body_phrases(themes, other, r, ctx, 2, story)]
    if r.random() < 0.5:
        head = "客户" + _ch(r, _SURNAMES) + _ch(r, ("先生", "女士")) + "来电反映，其于" + ctx["vdate"] + "在" + \
            ctx["branch"] + "办理" + ctx["biz"] + "业务时，"
    else:
        head = "客户来电反映："
    key = other if other is not None else themes[0]
    tail = ""
    if pii:
        tail += _pii(_PII_CALL, r)
    tail += "客户诉求：" + _CALL_DEMANDS[key] + "。" + _ch(r, _CALL_TAILS)
    return _fit(head, body, tail)


def _social(themes, other, r, ctx, pii, story):
    body = _body_phrases(themes, other, r, ctx, 1, story)
    if r.random() < 0.5:
        body = [b.replace("。", " ") for b in body]
    head = _ch(r, _SOCIAL_OPENERS)
    head = (head + " " if head else "") + "@" + BANK_NAME + " "
    if r.random() < 0.4:
        head += ctx["branch"] + " "
    tail = "".join(_ch(r, _EMOJI) for _ in range(r.randint(1, 3)))
    if pii:
        tail += _pii(_PII_SOCIAL, r)
    tags = " ".join(r.sample(_HASHTAGS, r.randint(1, 2)))
    if r.random() < 0.3:
        head = tags + " " + head
    else:
        tail += " " + tags
    return _fit(head, body, tail)


def _terse(themes, other, r, pii):
    if other is not None:
        parts = [_ch(r, OTHER_SHORT[other])]
    else:
        parts = [_ch(r, SHORT_PHRASES[t]) for t in themes]
    text = "，".join(parts)
    if pii:
        text += _pii(_PII_TERSE, r)
    text += _ch(r, _TERSE_TAILS)
    if len(text) < 5:
        text += "，不满意。"
    return text


# channel -> probability of the terse survey register
_TERSE_P = {"网点": 0.35, "手机银行": 0.35, "网上银行": 0.25, "电话": 0.0, "信函": 0.0, "微博": 0.0}


def _dup_edit(text: str, r: random.Random) -> str:
    out = text
    if r.random() < 0.6:
        out = out.replace("，", _ch(r, (",", "， ", " ，")), r.randint(1, 3))
    if r.random() < 0.4:
        out = out.replace("。", _ch(r, ("！", ". ", "。 ")), 2)
    if r.random() < 0.3:
        out = "  " + out + " "
    pre = r.random() < 0.7
    if pre:
        out = _ch(r, _DUP_PREFIXES) + out
    if not pre or r.random() < 0.5:
        out = out + _ch(r, _DUP_SUFFIXES)
    return out[:400]


# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------

_S2T = None


def _s2t():
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return _S2T


def _month_weights() -> np.ndarray:
    t = np.arange(_N_MONTHS, dtype=float)
    w = 1.0 + 0.015 * t
    w[[1, 13]] *= 0.8  # Spring Festival months
    w[_STORY_APP_MONTH] *= 1.15
    w[_STORY_FEE_MONTH] *= 1.2
    w[_STORY_BRANCH_FROM:] *= 1.05
    return w / w.sum()


def _month_start(mi: int) -> date:
    y, m = divmod(mi, 12)
    return date(2023 + y, m + 1, 1)


_MONTH_FIRST = [(_month_start(i) - _START).days for i in range(_N_MONTHS + 1)]
_MONTH_DAYS = np.diff(np.array(_MONTH_FIRST))

_KEY_INDEX = {k: i for i, k in enumerate(THEME_KEYS)}
_BASE_W = [_THEME_WEIGHTS[k] for k in THEME_KEYS]
_AFF = [[1.0] * 12 for _ in range(12)]
for (_a, _b), _v in _AFFINITY.items():
    _AFF[_KEY_INDEX[_a]][_KEY_INDEX[_b]] = _v
    _AFF[_KEY_INDEX[_b]][_KEY_INDEX[_a]] = _v


def _scaled(mult: dict) -> list:
    w = list(_BASE_W)
    for k, v in mult.items():
        w[_KEY_INDEX[k]] *= v
    return w


_W_NORMAL = _BASE_W
_W_CHENGDONG = _scaled({"queuing": 2.2, "counter_arrangement": 4.5})
_W_APP = _scaled({"self_service_tech": 2.5})
_IDX = list(range(12))


def _wpick(r: random.Random, w: list) -> int:
    x = r.random() * sum(w)
    acc = 0.0
    for i, wi in enumerate(w):
        acc += wi
        if x < acc:
            return i
    return max(i for i, wi in enumerate(w) if wi > 0)


def _draw_themes(r: random.Random, w: list, forced: int | None) -> list:
    u = r.random()
    k = 1 if u < _K_PROBS[0] else (2 if u < _K_PROBS[0] + _K_PROBS[1] else 3)
    first = forced if forced is not None else _wpick(r, w)
    chosen = [first]
    aff = _AFF[first]
    while len(chosen) < k:
        w2 = [0.0 if i in chosen else w[i] * aff[i] for i in _IDX]
        chosen.append(_wpick(r, w2))
    return chosen


def _cn_date_str(days: int) -> str:
    d = _START + timedelta(days=int(days))
    return f"{d.year}年{d.month}月{d.day}日"


_CN_DATES = [_cn_date_str(d) for d in range(_MONTH_FIRST[-1] + 40)]


def make_complaints(n: int = 5000, *, seed: int = 2024) -> pd.DataFrame:
    """Generate ``n`` synthetic complaints (deterministic for a given ``seed``).

    Returns a DataFrame with the columns of :data:`COLUMNS`, sorted by
    ``received_at``.  See the module docstring and ``data/sample/README.md``
    for the generative model.
    """
    n = int(n)
    if n < 0:
        raise ValueError("n must be non-negative")
    rng = np.random.default_rng([int(seed), 20240101])
    r = random.Random(int(seed))

    n_garb = int(round(n * _GARBAGE_RATE))
    n_dup = int(round(n * _DUP_RATE))
    n_base = max(0, n - n_garb - n_dup)
    n_dup = min(n_dup, max(0, n - n_garb - n_base))
    if n_base == 0:
        n_garb = n
        n_dup = 0
    n_all = n_base + n_dup + n_garb

    # --- vectorised attributes of base + garbage rows ------------------------
    n_vec = n_base + n_garb
    month = rng.choice(_N_MONTHS, size=n_vec, p=_month_weights())
    day_in_month = (rng.random(n_vec) * _MONTH_DAYS[month]).astype(np.int64)
    day = np.asarray(_MONTH_FIRST)[month] + day_in_month

    branch_names = list(BRANCHES)
    bw = np.array(list(BRANCHES.values()))
    p_before = bw / bw.sum()
    bw_after = bw.copy()
    bw_after[branch_names.index(_STORY_BRANCH)] *= 1.8
    p_after = bw_after / bw_after.sum()
    u = rng.random(n_vec)
    cum_b, cum_a = np.cumsum(p_before), np.cumsum(p_after)
    bi = np.where(month >= _STORY_BRANCH_FROM, np.searchsorted(cum_a, u, side="right"),
                  np.searchsorted(cum_b, u, side="right"))
    bi = np.minimum(bi, len(branch_names) - 1)

    chan_names = list(CHANNELS)
    ci = rng.choice(len(chan_names), size=n_vec, p=np.array(list(CHANNELS.values())))
    ct_names = list(CUSTOMER_TYPES)
    ti = rng.choice(len(ct_names), size=n_vec, p=np.array(list(CUSTOMER_TYPES.values())))

    # time of day: branch/letter 9-17h, phone 8-22h, online 7-24h
    lo = np.array([9, 8, 7, 7, 9, 7])[ci]
    hi = np.array([17, 22, 24, 24, 17, 24])[ci]
    secs = (lo * 3600 + rng.random(n_vec) * (hi - lo) * 3600).astype(np.int64)

    u_flags = rng.random((n_vec, 4))  # traditional, pii, none-theme, story
    vdays = rng.integers(0, 6, size=n_vec)

    # --- per-row text generation ---------------------------------------------
    texts: list[str] = [""] * n_vec
    simp: list[str] = [""] * n_vec
    trad_flags = u_flags[:, 0] < _TRADITIONAL_RATE
    themes_of: list[list[int]] = [[] for _ in range(n_vec)]
    kinds = [0] * n_vec  # 0 normal, 1 terse/social (not resubmitted), 2 garbage
    garb_idx = set(r.sample(range(n_vec), n_garb)) if n_garb else set()
    other_keys = list(OTHER_TOPICS)
    br_idx = branch_names.index(_STORY_BRANCH)

    month_l, bi_l, ci_l, ti_l = month.tolist(), bi.tolist(), ci.tolist(), ti.tolist()
    day_l, vday_l, flags_l, trad_l = day.tolist(), vdays.tolist(), u_flags.tolist(), trad_flags.tolist()
    for i in range(n_vec):
        if i in garb_idx:
            texts[i] = _ch(r, GARBAGE_TEXTS)
            kinds[i] = 2
            continue
        mi = month_l[i]
        fl = flags_l[i]
        channel = chan_names[ci_l[i]]
        ctype = ct_names[ti_l[i]]
        branch = branch_names[bi_l[i]]
        story = None
        other = None
        themes: list[int] = []
        if fl[2] < _NO_THEME_RATE:
            # emerging topics: coins around Spring Festival, FX in summer travel months
            m12 = mi % 12
            p_coin = 0.8 if m12 in (0, 1, 11) else (0.25 if m12 in (5, 6, 7) else 0.5)
            other = other_keys[0] if r.random() < p_coin else other_keys[1]
        else:
            w = _W_NORMAL
            forced = None
            if bi_l[i] == br_idx and mi >= _STORY_BRANCH_FROM:
                w = _W_CHENGDONG
            if mi == _STORY_FEE_MONTH and fl[3] < 0.2:
                forced = _KEY_INDEX["fees"]
                story = _C_FEE
            elif mi == _STORY_APP_MONTH:
                if channel in ("手机银行", "网上银行") and fl[3] < 0.45:
                    forced = _KEY_INDEX["self_service_tech"]
                    story = _C_APP
                else:
                    w = _W_APP
            themes = _draw_themes(r, w, forced)
            if story is None and w is _W_CHENGDONG and (0 in themes or 7 in themes) and r.random() < 0.5:
                story = _C_CHENGDONG
        themes_of[i] = themes
        tkeys = [THEME_KEYS[j] for j in themes]
        pii = fl[1] < _PII_RATE
        ctx = {"branch": branch, "biz": _ch(r, _BIZ), "when": _ch(r, _WHEN),
               "vdate": _CN_DATES[max(0, day_l[i] - vday_l[i])], "ldate": _CN_DATES[day_l[i]],
               "company": _ch(r, _SLOTS["company"])}
        if channel == "信函":
            t = _letter(tkeys, other, r, ctx, ctype, pii, story)
        elif channel == "电话":
            t = _call(tkeys, other, r, ctx, pii, story)
        elif channel == "微博":
            t = _social(tkeys, other, r, ctx, pii, story)
            kinds[i] = 1
        elif r.random() < _TERSE_P[channel]:
            t = _terse(tkeys, other, r, pii)
            kinds[i] = 1
        else:
            t = _angry(tkeys, other, r, ctx, channel, pii, story)
        simp[i] = t
        texts[i] = _s2t().convert(t) if trad_l[i] else t

    # --- near-duplicate resubmissions ----------------------------------------
    last_day = _MONTH_FIRST[-1]
    eligible = [i for i in range(n_vec) if kinds[i] == 0 and len(simp[i]) >= 20 and day[i] < last_day - 9]
    n_dup = min(n_dup, len(eligible))
    dup_src = sorted(r.sample(eligible, n_dup)) if n_dup else []
    dup_gap = rng.integers(2, 8, size=len(dup_src))
    dup_secs_delta = rng.integers(-3 * 3600, 3 * 3600, size=len(dup_src))

    src = np.array(dup_src, dtype=np.int64)
    all_day = np.concatenate([day, day[src] + dup_gap]).astype(np.int64)
    all_secs = np.concatenate([secs, np.clip(secs[src] + dup_secs_delta, 0, 86399)]).astype(np.int64)
    all_bi = np.concatenate([bi, bi[src]])
    all_ci = np.concatenate([ci, ci[src]])
    all_ti = np.concatenate([ti, ti[src]])
    for s in dup_src:
        t = _dup_edit(simp[s], r)
        texts.append(_s2t().convert(t) if trad_flags[s] else t)
        themes_of.append(themes_of[s])
    n_all = len(texts)

    # --- handling time & satisfaction (vectorised) ---------------------------
    med = np.array([_HANDLING_MEDIAN_HOURS[c] for c in chan_names])[all_ci]
    hours = np.clip(med * np.exp(rng.normal(0.0, _HANDLING_SIGMA, n_all)), 0.2, _HANDLING_MAX_HOURS)
    handle_secs = np.maximum(60, np.round(hours * 3600)).astype(np.int64)

    X = np.zeros((n_all, 12))
    for i, th in enumerate(themes_of):
        for j in th:
            X[i, j] = 1.0
    eff = np.array([TRUE_EFFECTS[k] for k in THEME_KEYS])
    latent = (BASELINE + X @ eff
              + np.array([BRANCH_EFFECTS[b] for b in branch_names])[all_bi]
              + np.array([CHANNEL_EFFECTS[c] for c in chan_names])[all_ci]
              + np.array([CUSTOMER_TYPE_EFFECTS[c] for c in ct_names])[all_ti]
              - HANDLING_PENALTY_PER_DAY * np.maximum(0.0, hours - HANDLING_TARGET_HOURS) / 24.0
              + rng.normal(0.0, NOISE_SD, n_all))
    sat = np.clip(np.rint(latent), 1, 5).astype(np.int64)
    missing = rng.random(n_all) < _MISSING_RATE

    # --- assemble, sort, ids --------------------------------------------------
    base = np.datetime64("2023-01-01T00:00:00", "s")
    recv = base + (all_day * 86400 + all_secs).astype("timedelta64[s]")
    closed = recv + handle_secs.astype("timedelta64[s]")
    order = np.argsort(recv, kind="stable")
    recv_l = [x.replace("T", " ") for x in np.datetime_as_string(recv[order], unit="s").tolist()]
    closed_l = [x.replace("T", " ") for x in np.datetime_as_string(closed[order], unit="s").tolist()]
    ids = [f"TS{s[0:4]}{s[5:7]}{k + 1:06d}" for k, s in enumerate(recv_l)]
    theme_str = ["|".join(THEME_KEYS[j] for j in sorted(themes_of[i])) for i in order]
    sat_o = sat[order]
    miss_o = missing[order]
    df = pd.DataFrame({
        "id": ids,
        "text": [texts[i] for i in order],
        "satisfaction": pd.array([pd.NA if m else int(v) for v, m in zip(sat_o, miss_o)], dtype="Int64"),
        "date": [s[:10] for s in recv_l],
        "branch": [branch_names[j] for j in all_bi[order]],
        "channel": [chan_names[j] for j in all_ci[order]],
        "customer_type": [ct_names[j] for j in all_ti[order]],
        "received_at": recv_l,
        "closed_at": closed_l,
        "true_themes": theme_str,
    })
    for c in COLUMNS:
        if c != "satisfaction":
            df[c] = df[c].astype(str)
    return df


# ---------------------------------------------------------------------------
# Sample file
# ---------------------------------------------------------------------------


def write_sample(path: str | Path = SAMPLE_PATH, n: int = 5000, seed: int = 2024) -> Path:
    """Write ``make_complaints(n, seed=seed)`` as UTF-8 CSV (no BOM, no index)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    make_complaints(n, seed=seed).to_csv(path, index=False, encoding="utf-8")
    return path


def load_sample() -> pd.DataFrame:
    """Read the committed sample CSV, or generate it in memory if absent."""
    if not SAMPLE_PATH.exists():
        return make_complaints(5000, seed=2024)
    df = pd.read_csv(SAMPLE_PATH, dtype=str, keep_default_na=False, encoding="utf-8")
    df["satisfaction"] = pd.array([int(v) if v.strip() else pd.NA for v in df["satisfaction"]], dtype="Int64")
    for c in COLUMNS:
        if c != "satisfaction":
            df[c] = df[c].astype(str)
    return df[list(COLUMNS)]
