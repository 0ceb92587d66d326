"""`dangjian unlock USER`: lift a login lockout from the shell (audited), so that no run of
failed logins, not even on every administrator at once, can lock the organization out."""

from django.core.management.base import BaseCommand

from dangjian.accounts.services import unlock
from dangjian.audit.services import Actor


class Command(BaseCommand):
    help = "Lift the login lockout of USERNAME (audited)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        count = unlock(Actor.system("cli"), username.strip())
        if count:
            self.stdout.write(f"已解除 {username} 的登录锁定（清除 {count} 条失败记录）")
        else:
            self.stdout.write(f"{username} 没有登录失败记录，无需解锁（已记入审计日志）")
