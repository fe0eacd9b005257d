"""The demo's knowledge base (part of ``complaints.demo.seed``): about thirty
articles written from the seeds' wording (express delivery, after-sales,
service etiquette), each in its complaint subcategory, owned by the demo's
supervisors and managers, created and edited through the services.

A few articles' review dates have already passed (their owners get the review
reminder from the daily task) and a few were rewritten after publication, so
their pages list an earlier version. Idempotent by title; one line of output.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from complaints.models import Article, Category
from complaints.services import article_create, article_update
from crm.models import User
from crm.roles import Role

# title, subcategory codes, problem, cause, solution, keywords
ARTICLES = [
    (
        "快件超过承诺时效未送达",
        ["late"],
        "客户反映快件超过承诺时效仍未送达，物流信息多日未更新。",
        "中转站爆仓、天气或交通管制导致干线延误；网点派送人手不足。",
        "先向客户致歉，查询物流节点确认快件位置；联系末端网点加急派送，告知客户预计送达时间；超过时效按标准赔付运费，并在送达后回访确认。",
        "延误 未送达 时效 物流信息 未更新",
    ),
    (
        "节假日及大促期间派送延误",
        ["late"],
        "节假日或电商大促期间快件积压，客户催件。",
        "业务量激增，分拨中心处理能力不足，部分线路临时停运。",
        "说明高峰期的时效调整并致歉；登记加急，优先安排派送；为客户提供预计到达时间并主动跟进，直至签收。",
        "延误 节假日 大促 积压 催件",
    ),
    (
        "物流信息长时间停滞",
        ["late", "lost"],
        "快件物流轨迹长时间停留在同一站点，客户担心丢失。",
        "扫描遗漏、快件滞留或错分到其他网点。",
        "调取监控和扫描记录定位快件；找到后安排加急转运并更新轨迹；48 小时内仍未找到按丢件流程处理，并告知客户处理进度。",
        "物流 停滞 轨迹 未更新 查件",
    ),
    (
        "快件丢失的查找与赔偿",
        ["lost"],
        "客户反映快件显示已发出但一直未收到，网点查找无果。",
        "中转环节丢失或被误领、错派。",
        "受理后立即启动查件，联系各环节核实；确认丢失后按保价或赔偿标准办理理赔，告知客户所需材料和到账时间；结案后回访。",
        "丢失 丢件 查找 赔偿 理赔 保价",
    ),
    (
        "快件显示已签收但客户未收到",
        ["lost", "stolen"],
        "物流显示已签收，客户本人表示没有收到快件。",
        "快递员未经同意代签、放置驿站或快递柜未通知，或被他人冒领。",
        "核实签收人、签收照片和派送位置；联系快递员说明情况，找回快件并送达；属于违规代签的记录在案并对快递员进行培训。",
        "签收 未收到 代签 冒领 驿站",
    ),
    (
        "快件外包装破损、内物损坏",
        ["damaged"],
        "客户收到快件时外包装破损，内件损坏。",
        "包装不规范、装卸暴力操作或运输中挤压。",
        "请客户拍照留存外包装和内物，致歉并登记破损；按保价或赔偿标准办理赔付，需补发的协调寄件方补发；将破损环节反馈给操作部门整改。",
        "破损 损坏 包装 暴力分拣 赔偿",
    ),
    (
        "易碎品破损的处理",
        ["damaged"],
        "玻璃、陶瓷等易碎物品到达时破碎。",
        "寄件时未使用易碎品包装或未贴易碎标识，分拣时未轻拿轻放。",
        "致歉并收集照片和寄件信息；核实是否保价及包装情况，按标准赔偿；提醒寄件方今后使用防震包装并贴易碎标识。",
        "易碎 破碎 玻璃 包装 破损",
    ),
    (
        "内件短少",
        ["stolen"],
        "客户开箱后发现内件数量少于寄件清单。",
        "中途被拆包、寄件方少发或分装时遗漏。",
        "核对寄件清单、称重记录和包装完好情况；确认为运输环节短少的按赔偿标准处理；需报案的协助客户报案并跟进结果。",
        "短少 少件 内件 拆包 被盗",
    ),
    (
        "错派到其他地址",
        ["wrong_address"],
        "快件被送到了错误的地址或其他收件人手中。",
        "面单地址模糊、分拣错误或快递员未核对地址。",
        "立即联系快递员和错收方取回快件，当天重新派送到正确地址；向客户致歉并告知新的送达时间；对错派进行原因分析。",
        "错派 地址错误 送错 分拣",
    ),
    (
        "客户要求修改收件地址",
        ["wrong_address"],
        "快件在途，客户希望改派到新的地址。",
        "下单时地址填写错误或客户临时变更。",
        "核实客户身份后登记改派；未到末端网点的办理改址转寄，已到网点的联系快递员改派；告知可能产生的费用和时效变化。",
        "改址 改派 修改地址 转寄",
    ),
    (
        "快递员拒绝送货上门",
        ["refused_door_delivery"],
        "客户投诉快递员不送货上门，直接放驿站或要求客户自取。",
        "快递员派件量大，未按约定提供送货上门服务。",
        "向客户致歉，安排当天送货上门；与网点核实派送约定，对快递员进行服务规范培训；后续一周回访派送情况。",
        "不送货上门 驿站 自取 快递柜 放门口",
    ),
    (
        "未经同意放入快递柜或驿站",
        ["refused_door_delivery"],
        "快递员未征得客户同意就把快件放入快递柜或驿站。",
        "快递员为节省时间未电话联系客户。",
        "致歉并确认客户希望的派送方式；按客户要求重新派送；提醒快递员放柜前须征得同意，情节严重的纳入考核。",
        "快递柜 驿站 未经同意 放柜",
    ),
    (
        "退款进度缓慢",
        ["refund_slow"],
        "客户申请退款已超过承诺时限仍未到账。",
        "审核环节积压、财务打款批次或退款信息填写有误。",
        "查询退款单状态并告知客户当前环节；核对收款信息，催办审核与打款；给出明确到账时间，到期主动回访确认。",
        "退款 到账 进度 慢 退费",
    ),
    (
        "理赔申请进度查询",
        ["refund_slow", "lost", "damaged"],
        "客户提交理赔申请后迟迟没有结果。",
        "材料不全、责任认定未完成或审批流程较长。",
        "说明理赔流程和所需时间；检查材料是否齐全，缺少的一次性告知客户；跟进审批进度，结果出来后第一时间通知客户。",
        "理赔 赔偿 进度 材料 审批",
    ),
    (
        "运费多收或重复扣费",
        ["refund_slow"],
        "客户发现运费金额与报价不符或被重复扣款。",
        "计费重量录入错误或系统重复扣款。",
        "核对称重和计费记录；确认多收的当天发起退款并告知到账时间；向客户说明原因并致歉。",
        "运费 多收 重复扣费 计费 退款",
    ),
    (
        "快递员态度恶劣",
        ["rude_courier"],
        "客户投诉快递员言语粗鲁、不耐烦甚至争吵。",
        "快递员服务意识不足，情绪管理欠缺，派件压力大。",
        "耐心倾听客户诉说，真诚致歉；核实情况后对快递员进行批评教育并安排服务礼仪培训；向客户反馈处理结果并回访。",
        "态度 恶劣 粗鲁 争吵 不耐烦",
    ),
    (
        "客服人员服务态度问题",
        ["attitude"],
        "客户反映客服电话中语气生硬、推诿责任。",
        "客服人员未使用规范服务用语，缺乏同理心。",
        "由主管致电客户致歉；调取录音核实，对相关人员进行沟通技巧和礼仪培训；改进后跟进该人员的质检结果。",
        "态度 客服 语气 推诿 服务用语",
    ),
    (
        "快递员未按约定时间上门取件",
        ["attitude", "late"],
        "客户预约上门取件，快递员迟到或未上门。",
        "取件任务分配不合理或快递员遗漏。",
        "致歉并重新约定取件时间，优先安排上门；提醒快递员按约定时间取件，不能按时须提前联系客户。",
        "取件 上门 预约 迟到 未上门",
    ),
    (
        "投诉受理后无人回复",
        ["process"],
        "客户投诉后超过承诺时间没有收到任何回复。",
        "投诉未及时分派，或处理人员未按时限首次响应。",
        "立即联系客户致歉并说明处理进度；按首次响应时限要求跟进，指定专人负责；检查分派规则，避免再次超时。",
        "无人回复 超时 回复 响应 跟进",
    ),
    (
        "客户对处理结果不满意要求重新处理",
        ["process"],
        "客户对已给出的解决方案不满意，要求重新处理。",
        "方案未充分了解客户诉求，或沟通解释不到位。",
        "重新开启投诉，认真倾听客户期望；在权限内调整方案，超出权限的升级主管；达成一致后跟进落实并回访确认满意度。",
        "不满意 重新处理 重开 升级 方案",
    ),
    (
        "电话长时间排队无人接听",
        ["process"],
        "客户反映客服热线长时间排队，无法接通人工。",
        "高峰时段坐席不足，排班与话务量不匹配。",
        "致歉并直接受理客户问题；必要时安排回拨；将高峰时段数据反馈给排班负责人调整坐席。",
        "排队 热线 接听 人工 回拨",
    ),
    (
        "商品质量问题的退换货",
        ["goods_defect"],
        "客户收到的商品存在质量问题，要求退换货。",
        "商品生产缺陷或出厂检验不到位。",
        "请客户提供照片和订单信息，确认质量问题；按退换货政策办理退货、换货或退款，上门取件免运费；将问题反馈给商品部门。",
        "质量问题 退货 换货 退款 商品",
    ),
    (
        "商品安装与上门维修预约",
        ["goods_defect"],
        "客户购买的商品需要安装或出现故障需要上门维修。",
        "商品需专业安装，或使用中出现故障。",
        "登记故障现象和方便上门的时间，生成服务单并预约工程师；工程师上门后记录处理结果；维修完成后回访确认使用情况。",
        "维修 安装 上门 故障 售后 工程师",
    ),
    (
        "保修期内维修费用争议",
        ["goods_defect"],
        "客户认为保修期内不应收取维修费用。",
        "故障属于人为损坏不在保修范围，或未向客户解释清楚。",
        "核对购买日期和保修条款；属于保修范围的免费维修；不属于的向客户耐心解释原因并出具检测结果，提供优惠方案供选择。",
        "保修 维修费用 收费 争议 检测",
    ),
    (
        "维修后同一故障再次出现",
        ["goods_defect"],
        "商品维修后不久又出现相同故障。",
        "维修不彻底或配件质量问题。",
        "优先安排资深工程师再次上门，必要时更换配件或换新；向客户致歉，跟进到问题彻底解决；对返修原因进行分析改进。",
        "返修 再次故障 维修 换新 配件",
    ),
    (
        "配件缺货导致维修等待",
        ["goods_defect", "process"],
        "维修所需配件缺货，客户等待时间过长。",
        "配件库存不足，调拨周期长。",
        "告知客户配件到货时间并致歉；协调其他仓库调拨或提供备用机；配件到货后第一时间预约上门。",
        "配件 缺货 等待 维修 调拨",
    ),
    (
        "客户隐私信息泄露的担忧",
        ["other"],
        "客户担心面单上的姓名电话被泄露，或接到骚扰电话。",
        "面单信息外露或个人信息管理不严。",
        "向客户说明公司的隐私保护措施；核查是否存在信息泄露并记录；推荐使用隐私面单，必要时升级给隐私负责人处理。",
        "隐私 个人信息 泄露 面单 骚扰电话",
    ),
    (
        "客户情绪激动时的沟通要点",
        ["attitude", "other"],
        "客户情绪激动，反复投诉或言辞激烈。",
        "问题长时间未解决，客户感到不被重视。",
        "保持冷静和礼貌，先倾听不打断；表达理解和歉意，复述客户诉求；给出明确的处理步骤和时间，并按时跟进反馈。",
        "情绪 激动 沟通 安抚 倾听",
    ),
    (
        "首次回复客户的标准步骤",
        ["service_quality", "process"],
        "新员工不清楚首次回复投诉客户时应包含哪些内容。",
        "对投诉处理流程和服务用语不熟悉。",
        "感谢客户的反馈并致歉；说明已受理的投诉编号和处理人；告知下一步处理措施和预计时间；承诺跟进并确认客户的联系方式。",
        "首次回复 受理 服务用语 流程",
    ),
    (
        "投诉升级的条件与流程",
        ["process"],
        "坐席不确定什么情况下需要把投诉升级给主管。",
        "对升级规则不了解。",
        "紧急或重大投诉、超出处理权限的赔偿、客户要求找上级或媒体曝光风险的投诉，应立即升级主管；升级时写明情况和已采取的措施，并告知客户。",
        "升级 主管 紧急 赔偿 权限",
    ),
]
# A few articles were rewritten after publication: their pages list version 1.
REWRITTEN = {
    "快件超过承诺时效未送达": "先向客户致歉，查询物流节点确认快件位置；联系末端网点加急派送，并在 2 小时内告知客户预计送达时间；超过时效按标准赔付运费，送达后 24 小时内回访确认。",
    "快件外包装破损、内物损坏": "请客户拍照留存外包装和内物，致歉并登记破损；当天启动赔付，按保价或赔偿标准办理，需补发的协调寄件方补发；破损环节反馈操作部门整改并纳入质检。",
}


def seed_articles(ctx) -> None:
    """The demo's knowledge articles (none twice: by title)."""
    existing = set(Article.objects.values_list("title", flat=True))
    todo = [a for a in ARTICLES if a[0] not in existing]
    if not todo:
        ctx.say(f"  knowledge base: {len(existing)} articles already there")
        return
    owners = list(
        User.objects.filter(
            groups__name__in=[Role.SUPERVISOR, Role.MANAGER], is_active=True
        )
        .distinct()
        .order_by("username")
    )
    if not owners:
        ctx.say("  knowledge base: no supervisor or manager, skipped")
        return
    categories = {c.code: c for c in Category.objects.all()}
    today = timezone.localdate()
    with transaction.atomic():
        for i, (title, codes, problem, cause, solution, keywords) in enumerate(
            ARTICLES
        ):
            if title in existing:
                continue
            owner = owners[i % len(owners)]
            # every seventh article is overdue for review; the rest within a year
            review = today + timedelta(days=-3 if i % 7 == 3 else 30 + 11 * i)
            article = article_create(
                actor=owner,
                title=title,
                problem=problem,
                cause=cause,
                solution=solution,
                keywords=keywords,
                owner=owner,
                review_date=review,
                status=Article.Status.DRAFT if i == len(ARTICLES) - 1 else "published",
                categories=[categories[c] for c in codes if c in categories],
            )
            if title in REWRITTEN:
                article_update(
                    actor=owner, article=article, changes={"solution": REWRITTEN[title]}
                )
    ctx.say(f"  knowledge base: {len(todo)} articles")
