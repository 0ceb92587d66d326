"""`dangjian token create|list|revoke`: API tokens from the shell (each write audited)."""

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import ApiToken, User
from dangjian.accounts.services import create_token, revoke_token
from dangjian.audit.services import Actor


class Command(BaseCommand):
    help = "Create (printed once; only its HMAC-SM3 digest is stored), list or revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        create.add_argument(
            "--days", type=int, default=365, help="valid for N days (0 = no expiry)"
        )
        listing = sub.add_parser("list", help="list tokens (of USERNAME, or everyone's)")
        listing.add_argument("username", nargs="?", default="")
        revoke = sub.add_parser("revoke", help="revoke the token whose prefix is PREFIX")
        revoke.add_argument("prefix")

    def handle(self, *args, verb, **options):
        if verb == "create":
            self._create(options["username"], options["name"], options["days"])
        elif verb == "list":
            self._list(options["username"])
        else:
            self._revoke(options["prefix"])

    def _create(self, username: str, name: str, days: int) -> None:
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"用户 {username} 不存在或已停用") from None
        token = create_token(Actor.system("cli"), user, name=name, days=days or None)
        self.stdout.write(token)

    def _list(self, username: str) -> None:
        rows = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if username:
            if not User.objects.filter(username=username).exists():
                raise CommandError(f"用户 {username} 不存在")
            rows = rows.filter(user__username=username)
        for t in rows:
            if t.revoked_at:
                state = "已吊销"
            elif t.expires_at:
                state = f"有效至 {t.expires_at:%Y-%m-%d}"
            else:
                state = "长期有效"
            self.stdout.write(f"{t.prefix}…\t{t.user.username}\t{t.name}\t{state}")

    def _revoke(self, prefix: str) -> None:
        prefix = prefix.rstrip("…").strip()
        found = list(ApiToken.objects.filter(prefix=prefix))
        if len(found) != 1:
            raise CommandError(f"没有前缀为 {prefix} 的令牌" if not found else "前缀不唯一")
        if not revoke_token(Actor.system("cli"), found[0]):
            raise CommandError(f"令牌 {prefix}… 已吊销")
        self.stdout.write(f"已吊销令牌 {prefix}…")
