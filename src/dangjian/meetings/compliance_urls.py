"""Compliance (findings) pages."""

app_name = "compliance"
urlpatterns: list = []
