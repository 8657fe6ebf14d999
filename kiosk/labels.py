"""Display labels for domain codes, translatable and shared by every blueprint.

The evaluation's come last: its codes, the scoring package's texts and explanation lines.
"""

from typing import overload

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

import scoring
from scoring.explain import Phrase

LEVEL_LABELS = {
    5: _l("非常满意"),
    4: _l("满意"),
    3: _l("基本满意"),
    2: _l("不满意"),
    1: _l("非常不满意"),
}
REASON_LABELS = {
    "attitude": _l("服务态度"),
    "efficiency": _l("办事效率"),
    "competence": _l("业务水平"),
    "facilities": _l("环境设施"),
    "repeat_visits": _l("多次跑腿"),
    "other": _l("其他"),
}
ROLE_LABELS = {
    "admin": _l("管理员"),
    "supervisor": _l("负责人"),
    "staff": _l("窗口人员"),
    "district_admin": _l("街道管理员"),
    "district_assessor": _l("街道考核人员"),
    "resident_rep": _l("居民代表"),
}
CHANNEL_LABELS = {
    "qr": _l("扫码"),
    "kiosk": _l("大厅评价终端"),
    "pad": _l("窗口评价器"),
    "api": _l("接口"),
}
STATUS_LABELS = {"counted": _l("计入"), "quarantined": _l("待审核"), "excluded": _l("已排除")}
COMPLAINT_STATUS_LABELS = {
    "new": _l("待核实"),
    "valid": _l("核实有效"),
    "invalid": _l("核实无效"),
    "rectifying": _l("整改中"),
    "rectified": _l("已整改"),
    "followed_up": _l("已回访"),
    "closed": _l("已办结"),
}
# The district dashboard's ranges (kiosk.services.district_dashboard.RANGES), each up to today.
DASHBOARD_RANGE_LABELS = {
    "month": _l("本月至今"),
    "30d": _l("近30天"),
    "quarter": _l("本季度至今"),
    "year": _l("本年度至今"),
}
SEVERITY_LABELS = {"minor": _l("一般"), "major": _l("较重"), "severe": _l("严重")}
SATISFACTION_LABELS = {
    "satisfied": _l("满意"),
    "basically_satisfied": _l("基本满意"),
    "dissatisfied": _l("不满意"),
}
COMPLAINT_ACTION_LABELS = {
    "created": _l("登记投诉"),
    "verified": _l("核实"),
    "rectification_started": _l("开始整改"),
    "rectified": _l("整改完成"),
    "followed_up": _l("回访"),
    "closed": _l("办结"),
    "appealed": _l("申诉"),
    "appeal_upheld": _l("复核：维持原核实结论"),
    "appeal_overturned": _l("复核：撤销原核实结论"),
    "phone_revealed": _l("查看完整电话"),
    "contact_erased": _l("联系方式已按规定删除"),
}
APPEAL_LABELS = {
    "pending": _l("申诉待复核"),
    "upheld": _l("申诉已复核：维持"),
    "overturned": _l("申诉已复核：撤销"),
}
# The audit log's actions and the kinds of thing they change (kiosk.services.audit).
AUDIT_ACTION_LABELS = {
    **{f"complaint.{code}": label for code, label in COMPLAINT_ACTION_LABELS.items()},
    "rating.release": _l("放行待审核评价"),
    "rating.exclude": _l("排除待审核评价"),
    "assessment.reopen": _l("退回考核评分"),
    "assessment.import": _l("导入考核评分"),
    "adjustment.bonus": _l("登记加分"),
    "adjustment.deduction": _l("登记扣分"),
    "adjustment.void": _l("作废加减分"),
    "evaluation.finalise": _l("考核定稿"),
    "evaluation.feedback": _l("填写考核反馈"),
    "evaluation.feedback_acknowledged": _l("确认阅读考核反馈"),
    "evaluation.objection": _l("对考核结果提出异议"),
    "evaluation.objection_decided": _l("处理考核异议"),
    "monthly_star.record": _l("记录每月服务之星"),
    "roster.create": _l("新增排班"),
    "roster.update": _l("修改排班"),
    "roster.end": _l("结束值班"),
    "roster.cancel": _l("取消排班"),
    "staff.create": _l("添加人员"),
    "staff.update": _l("修改人员"),
    "staff.deactivate": _l("停用人员"),
    "staff.reactivate": _l("启用人员"),
    "staff.photo": _l("更换照片"),
    "user.create": _l("新建账户"),
    "user.update": _l("修改账户"),
    "user.deactivate": _l("停用账户"),
    "user.reactivate": _l("启用账户"),
    "user.reset_password": _l("重置密码"),
    "window.create": _l("添加窗口"),
    "window.update": _l("修改窗口"),
    "window.deactivate": _l("停用窗口"),
    "window.reactivate": _l("启用窗口"),
    "window.regenerate_qr": _l("更换窗口二维码"),
    "device.create": _l("新建评价设备"),
    "device.update": _l("修改评价设备"),
    "device.code": _l("重新生成配对码"),
    "device.revoke": _l("撤销评价设备"),
    "setting.change": _l("修改系统设置"),
    "hall.rename": _l("修改大厅名称"),
    "hall.attach": _l("纳入街道"),
    "hall.create": _l("新建便民服务站"),
    "district.create": _l("新建街道"),
    "station_round.open": _l("开启站点考核轮次"),
    "station_round.add_member": _l("加入考核组"),
    "station_round.score": _l("站点考核评分"),
    "station_round.evidence": _l("上传站点考核佐证材料"),
    "station_round.finalise": _l("站点考核定稿"),
}
AUDIT_TARGET_LABELS = {
    "complaint": _l("投诉"),
    "rating": _l("评价"),
    "assessment": _l("考核评分"),
    "period": _l("考核期间"),
    "adjustment": _l("加减分"),
    "evaluation_snapshot": _l("考核定稿"),
    "result_feedback": _l("考核反馈与异议"),
    "monthly_selection": _l("每月服务之星"),
    "duty": _l("排班"),
    "staff": _l("人员"),
    "user": _l("账户"),
    "window": _l("窗口"),
    "device": _l("评价设备"),
    "setting": _l("系统设置"),
    "hall": _l("大厅"),
    "district": _l("街道"),
    "station_round": _l("站点考核轮次"),
}
# Station assessment rounds (kiosk.services.station_rounds).
ROUND_KIND_LABELS = {
    "month": _l("月度考核"),
    "quarter": _l("季度考核"),
    "year": _l("年度考核"),
    "spot_check": _l("不定期抽查"),
}
ROUND_STATUS_LABELS = {"open": _l("进行中"), "finalised": _l("已定稿")}
ROUND_SCHEME_LABELS = {
    "2019": _l("社区便民服务站考核细则（2019）"),
    "workstation": _l("群众工作站考核细则"),
}
MEMBER_ROLE_LABELS = {
    "district_assessor": _l("街道考核人员"),
    "cross_staff": _l("交叉考核人员（其他站点工作人员）"),
    "resident_rep": _l("居民代表"),
}

# The evaluation: assessment kinds, ledger entries, tasks and result flags.
KIND_LABELS = {"self": _l("自评"), "peer": _l("同事互评"), "supervisor": _l("负责人评价")}
LEDGER_KIND_LABELS = {"bonus": _l("加分"), "deduction": _l("扣分"), "complaint": _l("投诉扣分")}
TASK_STATUS_LABELS = {
    "pending": _l("未提交"),
    "reopened": _l("已退回修改"),
    "submitted": _l("已提交"),
}
FLAG_LABELS = {
    "missing:self": _l("缺自评"),
    "missing:supervisor": _l("缺负责人评价"),
    "missing:residents": _l("缺居民满意度"),
    "missing:peer": _l("缺同事互评"),
    "insufficient_ratings": _l("评价数不足"),
    "peers_trimmed": _l("互评去掉最高最低"),
    "bonus_capped": _l("加分已封顶"),
    "category_capped": _l("类别已封顶"),
    "same_matter": _l("同一事项只计一次"),
    "clipped": _l("得分已截断"),
    "veto": _l("一票否决"),
    "quota_demoted": _l("优秀名额所限"),
    "unscored": _l("不计分"),
    "too_few_sources": _l("未评定（评价来源不足）"),
    "complaints_pending": _l("有待定投诉"),
}


def flag_label(flag: str) -> str:
    """Return the Chinese label of a result flag (the code itself if unknown)."""
    return str(FLAG_LABELS.get(flag, flag))


# Texts that come from the scoring package and the default scheme (scoring/default_scheme.toml):
# source and grade names, the rubric, the scheme's name and the tie rule, and the separators of
# lists in explanation lines. They are shown in the reader's language where the catalog has
# them; a hall's own scheme shows as written. (The explanation templates themselves are msgids
# extracted from scoring/ by the keyword Phrase.)
SCHEME_TEXTS = {
    "自评": _l("自评"),
    "负责人评价": _l("负责人评价"),
    "居民满意度": _l("居民满意度"),
    "同事互评": _l("同事互评"),
    "优秀": _l("优秀"),
    "良好": _l("良好"),
    "合格": _l("合格"),
    "不合格": _l("不合格"),
    "窗口人员考核方案": _l("窗口人员考核方案"),
    "服务质量": _l("服务质量"),
    "服务态度": _l("服务态度"),
    "服务效率": _l("服务效率"),
    "工作效率": _l("工作效率"),
    "任务完成": _l("任务完成"),
    "流程优化": _l("流程优化"),
    "工作创新": _l("工作创新"),
    "团队合作": _l("团队合作"),
    "协作精神": _l("协作精神"),
    "沟通能力": _l("沟通能力"),
    "团队凝聚力": _l("团队凝聚力"),
    "意见建议处理": _l("意见建议处理"),
    "投诉处理": _l("投诉处理"),
    # The default scheme's adjustment categories and their levels.
    "表彰": _l("表彰"),
    "创新": _l("创新"),
    "工作不力": _l("工作不力"),
    "媒体曝光": _l("媒体曝光"),
    "街道级": _l("街道级"),
    "区级": _l("区级"),
    "市级": _l("市级"),
    "省级及以上": _l("省级及以上"),
    "一般": _l("一般"),
    "较重": _l("较重"),
    "严重": _l("严重"),
    scoring.TIE_RULE: _l(
        "同分时依次比较：居民满意度指数（平滑后）高者在前；负责人评价高者在前；"
        "经核实投诉少者在前；居民评价数多者在前；仍相同则并列"
    ),
    # the separators of lists in an explanation line
    "、": _l("、"),
    "，": _l("，"),
}


@overload
def scheme_text(text: str) -> str: ...
@overload
def scheme_text(text: None) -> None: ...
def scheme_text(text: str | None) -> str | None:
    """Return a scoring or default-scheme text in the reader's language (else as written)."""
    return str(SCHEME_TEXTS[text]) if text in SCHEME_TEXTS else text


def explanation_text(line: scoring.ExplanationLine) -> str:
    """Return an explanation line in the reader's language.

    Its phrase goes through the catalog (the scoring package's templates are msgids); a line
    without one (from a snapshot older than phrases) shows its text as written.
    """
    return line.phrase.render(gettext) if line.phrase is not None else line.text


def adjustment_reason(adjustment: scoring.AppliedAdjustment) -> str:
    """Return an applied adjustment's reason: the package's words translated, typed ones as is."""
    phrase = adjustment.phrase
    return phrase.render(gettext) if phrase is not None else adjustment.reason


def consequence_text(consequence: scoring.Consequence | None) -> str:
    """Return what follows from a grade (结果运用) in words: 绩效系数 1.2、表彰; "" for nothing."""
    if consequence is None:
        return ""
    parts = []
    if consequence.bonus_coefficient is not None:
        parts.append(gettext("绩效系数 %(k)s", k=f"{consequence.bonus_coefficient:g}"))
    for wanted, label in (
        (consequence.commendation, _l("表彰")),
        (consequence.training, _l("培训")),
        (consequence.talk, _l("诫勉谈话")),
    ):
        if wanted:
            parts.append(str(label))
    return gettext("、").join(parts)


def phrase_text(phrase: Phrase | str) -> str:
    """Return a scoring phrase in the reader's language (a plain text as written)."""
    return phrase.render(gettext) if isinstance(phrase, Phrase) else phrase
