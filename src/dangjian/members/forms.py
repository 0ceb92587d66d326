"""Member forms; the rules live in services, the forms only collect input."""

from django import forms

from dangjian.members.models import Education, MemberCategory, MemberStatus


class MemberForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, required=False)
    id_number = forms.CharField(
        label="身份证号",
        max_length=40,
        required=False,
        help_text="18位，末位可为 X；出生日期和性别由身份证号自动得出",
    )
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    status = forms.ChoiceField(
        label="党员状态", choices=[("", "请选择"), *MemberStatus.choices], required=False
    )
    category = forms.ChoiceField(label="人员类别", choices=MemberCategory.choices, required=False)
    # Text, not a date picker: old records often know only the month ("2001-07").
    admitted_on = forms.CharField(
        label="入党时间",
        required=False,
        help_text="支部大会通过为预备党员之日，如 2001-07-01；只知道月份时填 2001-07",
    )
    confirmed_on = forms.CharField(
        label="转正时间", required=False, help_text="如 2002-07-01 或 2002-07"
    )
    ethnicity = forms.CharField(label="民族", max_length=20, required=False, initial="汉族")
    education = forms.ChoiceField(
        label="学历", choices=[("", "—"), *Education.choices], required=False
    )
    job_title = forms.CharField(label="工作岗位", max_length=100, required=False)
    # Only for those who may reveal the member's identifiers (views drop it for the others).
    employee_number = forms.CharField(
        label="工号",
        max_length=40,
        required=False,
        help_text="本单位人事或财务部门编的职工号（选填），导入工资表核定党费时按工号匹配",
    )

    def add_service_errors(self, errors: dict[str, str]) -> None:
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)


class MoveForm(forms.Form):
    organization = forms.ChoiceField(label="调往支部")
    party_group = forms.ChoiceField(label="党小组", required=False)
    reason = forms.CharField(label="调动原因", max_length=200, required=False)

    def __init__(self, *args, branch_choices, group_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = branch_choices
        self.fields["party_group"].choices = [("", "不分配"), *group_choices]
        self.fields["organization"].widget.attrs["class"] = "form-select"
        self.fields["party_group"].widget.attrs["class"] = "form-select"
        self.fields["reason"].widget.attrs["class"] = "form-control"
