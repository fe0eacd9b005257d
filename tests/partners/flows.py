"""Moving complaints through the real services in API tests."""

from complaints import services as s


def walk(complaint, to_status: str, *, actor):
    """Move ``complaint`` along the usual path to ``to_status`` as ``actor``."""
    path = {
        "received": [],
        "analyzing": ["analyze"],
        "handling": ["analyze", "handle"],
        "replied": ["analyze", "handle", "reply"],
        "resolved": ["analyze", "handle", "reply", "resolve"],
        "closed": ["analyze", "handle", "reply", "resolve", "close"],
    }[to_status]
    steps = {
        "analyze": lambda c: s.complaint_record_analysis(
            actor=actor,
            complaint=s.complaint_start_analysis(actor=actor, complaint=c),
            cause_hypothesis="派送员未按约定时间派送",
            cause_type="staff_error",
        ),
        "handle": lambda c: s.complaint_start_handling(actor=actor, complaint=c),
        "reply": lambda c: s.complaint_reply(
            actor=actor, complaint=c, body="您好，已为您加急派送，感谢您的反馈。"
        ),
        "resolve": lambda c: s.complaint_resolve(
            actor=actor, complaint=c, resolution_type="redelivery"
        ),
        "close": lambda c: s.complaint_close(actor=actor, complaint=c),
    }
    for step in path:
        complaint = steps[step](complaint)
    return complaint
