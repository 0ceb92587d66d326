"""Forms of the library pages: they only read input; the services decide."""

from __future__ import annotations

from django import forms

from dangjian.study.models import MaterialFormat


class SearchForm(forms.Form):
    q = forms.CharField(label="关键词", required=False, max_length=100)
    category = forms.CharField(label="分类", required=False, max_length=50)
    format = forms.ChoiceField(
        label="格式", required=False, choices=[("", "全部格式"), *MaterialFormat.choices]
    )
    org = forms.CharField(label="发布组织", required=False, max_length=32)
    date_from = forms.DateField(label="发布日期从", required=False)
    date_to = forms.DateField(label="至", required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


class MaterialForm(forms.Form):
    file = forms.FileField(label="文件", required=False)
    title = forms.CharField(label="标题", required=False, max_length=200)
    author = forms.CharField(label="作者", required=False, max_length=100)
    category = forms.CharField(label="分类", required=False, max_length=50)
    abstract = forms.CharField(
        label="摘要", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class MaterialEditForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200)
    author = forms.CharField(label="作者", required=False, max_length=100)
    category = forms.CharField(label="分类", required=False, max_length=50)
    abstract = forms.CharField(
        label="摘要", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )


class TopicForm(forms.Form):
    month = forms.CharField(label="月份", max_length=7)
    title = forms.CharField(label="学习主题", max_length=200, required=False)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # Check boxes: the templates render one per choice (a <select>'s subwidgets are bare <option>s).
    materials = forms.TypedMultipleChoiceField(
        label="学习资料",
        required=False,
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, material_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["materials"].choices = list(material_choices)


class MeetingMaterialsForm(forms.Form):
    # Check boxes: the templates render one per choice (a <select>'s subwidgets are bare <option>s).
    materials = forms.TypedMultipleChoiceField(
        label="学习资料",
        required=False,
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, material_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["materials"].choices = list(material_choices)


def add_service_errors(form: forms.Form, errors: dict[str, str]) -> None:
    for key, message in errors.items():
        form.add_error(key if key in form.fields else None, message)
