"""`dangjian token create USERNAME`: print a new API token for a user."""

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import User
from dangjian.accounts.services import create_token
from dangjian.audit.services import Actor


class Command(BaseCommand):
    help = "Create an API token (printed once; only its HMAC-SM3 digest is stored)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        create.add_argument(
            "--days", type=int, default=365, help="valid for N days (0 = no expiry)"
        )

    def handle(self, *args, verb, username, name, days, **options):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"用户 {username} 不存在或已停用") from None
        token = create_token(Actor.system("cli"), user, name=name, days=days or None)
        self.stdout.write(token)
