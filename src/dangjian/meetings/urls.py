"""Meeting pages (filled in by the meetings work)."""

app_name = "meetings"
urlpatterns: list = []
