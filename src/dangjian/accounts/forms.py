"""Administrator forms."""

from django import forms

from dangjian.accounts.models import Role


class UserCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=150, required=False)
    email = forms.CharField(
        label="邮箱",
        max_length=254,
        required=False,
        help_text="可不填；配置了邮件服务器时，任务提醒和督办通知同时发到此邮箱",
    )
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput, strip=False)
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    organization = forms.CharField(
        label="所辖组织编码",
        max_length=32,
        required=False,
        help_text="业务角色必填（如支部书记填写其党支部的组织编码）",
    )
