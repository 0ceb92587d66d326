"""Forms of the administrators' pages and of the user's own password."""

from django import forms

from dangjian.accounts.models import Role


class UserCreateForm(forms.Form):
    """No role here: roles are requested afterwards and take effect when approved."""

    username = forms.CharField(
        label="用户名", max_length=150, help_text="英文字母、数字和 . _ -，如 zhang.san"
    )
    display_name = forms.CharField(label="姓名", max_length=150, required=False)
    email = forms.CharField(
        label="邮箱",
        max_length=254,
        required=False,
        help_text="可不填；配置了邮件服务器时，任务提醒和督办通知同时发到此邮箱",
    )
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput,
        strip=False,
        help_text="用户首次登录后须修改",
    )


class UserEditForm(forms.Form):
    display_name = forms.CharField(label="姓名", max_length=150, required=False)
    email = forms.CharField(label="邮箱", max_length=254, required=False)


class GrantRequestForm(forms.Form):
    role = forms.ChoiceField(
        label="角色", choices=[("", "请选择角色"), *Role.choices], required=True
    )
    organization = forms.CharField(
        label="所辖组织编码",
        max_length=32,
        required=False,
        help_text="业务角色必填（如支部书记填写其党支部的组织编码）",
    )


class UserFilterForm(forms.Form):
    q = forms.CharField(label="用户名或姓名", max_length=150, required=False)
    role = forms.ChoiceField(
        label="角色", choices=[("", "全部角色"), ("none", "无角色"), *Role.choices], required=False
    )
    status = forms.ChoiceField(
        label="状态",
        choices=[("", "全部"), ("active", "启用"), ("disabled", "停用")],
        required=False,
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="当前密码", widget=forms.PasswordInput, strip=False)
    password = forms.CharField(label="新密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的新密码不一致")
        return data
