"""Display labels for domain codes, translatable and shared by every blueprint."""

from flask_babel import lazy_gettext as _l

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
ROLE_LABELS = {"admin": _l("管理员"), "supervisor": _l("负责人"), "staff": _l("窗口人员")}
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
