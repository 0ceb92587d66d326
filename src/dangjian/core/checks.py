"""System checks (`dangjian check`): the master key must be there and be the database's."""

from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def master_key_check(app_configs=None, **kwargs):
    from dangjian.core.keys import key_status

    status = key_status()
    messages = []
    for problem in status.problems:
        if problem.startswith("无法读取数据库"):
            messages.append(Warning(problem, id="dangjian.W001"))
        elif "尚未完成" in problem:
            messages.append(Error(problem, id="dangjian.E003"))
        elif problem.startswith("未找到主密钥"):
            messages.append(Error(problem, id="dangjian.E001"))
        else:
            messages.append(Error(problem, id="dangjian.E002"))
    return messages
