"""The standard phrases of the seeds (service-etiquette manual ch. 3, the
complaint-handling process ch. 4): greeting, apology, explanation, solution,
follow-up, closing. Idempotent (by code)."""

from django.db import migrations

SEED = (
    # code, step, category code ("" = every), zh, en
    (
        "greet",
        "greeting",
        "",
        "{customer_name}您好，感谢您的反馈。",
        "Dear {customer_name}, thank you for your feedback.",
    ),
    (
        "greet-wait",
        "greeting",
        "",
        "您好，请稍等，我们正在为您查询。",
        "Hello, please wait a moment while we check.",
    ),
    (
        "apology",
        "apology",
        "",
        "给您带来不便，我们深表歉意。",
        "We are sorry for the inconvenience caused.",
    ),
    (
        "apology-understand",
        "apology",
        "",
        "我理解您的不满，这确实让人感到不愉快。",
        "We understand your frustration; this is indeed unpleasant.",
    ),
    (
        "apology-attitude",
        "apology",
        "attitude",
        "对于工作人员的服务态度给您带来的困扰，我们郑重致歉，已对相关人员进行批评教育并安排礼仪培训。",
        "We sincerely apologise for our staff member's attitude; they have been spoken to and will attend etiquette training.",
    ),
    (
        "explain",
        "explanation",
        "",
        "经核实，您反映的问题（投诉编号 {reference}）原因如下：",
        "We have checked your complaint {reference}; the cause is:",
    ),
    (
        "solution-delivery",
        "solution",
        "late",
        "我们已为您安排加急派送，预计 {due} 前送达。",
        "We have arranged express delivery, expected before {due}.",
    ),
    ("solution", "solution", "", "我们已为您处理：", "We have resolved it as follows:"),
    (
        "solution-compensation",
        "solution",
        "",
        "我们将按照服务承诺为您办理补偿。",
        "We will compensate you as our service promise says.",
    ),
    (
        "follow-up",
        "follow_up",
        "",
        "我们会在 24 小时内再次与您联系，确认问题已解决。",
        "We will contact you again within 24 hours to confirm the problem is solved.",
    ),
    (
        "follow-up-revisit",
        "follow_up",
        "",
        "处理完成后我们将安排回访，听取您的意见。",
        "After the resolution we will call you back to hear your opinion.",
    ),
    (
        "closing",
        "closing",
        "",
        "感谢您的支持，我们很乐意为您提供帮助。",
        "Thank you for your support; we are glad to help.",
    ),
)


def forwards(apps, schema_editor):
    Phrase = apps.get_model("complaints", "Phrase")
    Category = apps.get_model("complaints", "Category")
    for order, (code, step, category, zh, en) in enumerate(SEED):
        Phrase.objects.get_or_create(
            code=code,
            defaults={
                "step": step,
                "category": Category.objects.filter(code=category).first()
                if category
                else None,
                "text_zh": zh,
                "text_en": en,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0020_phrase")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
