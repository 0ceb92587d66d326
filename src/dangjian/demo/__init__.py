"""The synthetic demo: the demo organ (`organ`), its people (`people`) and accounts (`users`),
its meetings (`meetings`), work items (`duties`) and study materials and trainings (`study`), and the province-scale generator
(`province`). No real person's data: everything comes from `regulations.synth` with a seed.

Callers import the entry points from here.
"""

from dangjian.demo.duties import ensure_work_items
from dangjian.demo.organ import DEPARTMENTS, ROOT_CODE, ensure_demo
from dangjian.demo.province import ensure_province
from dangjian.demo.recruitment import ensure_recruitment
from dangjian.demo.study import ensure_study
from dangjian.demo.users import DEFAULT_PASSWORD, DEMO_USERS, PROVINCE_USER

__all__ = [
    "DEFAULT_PASSWORD",
    "DEMO_USERS",
    "DEPARTMENTS",
    "PROVINCE_USER",
    "ROOT_CODE",
    "ensure_demo",
    "ensure_province",
    "ensure_recruitment",
    "ensure_study",
    "ensure_work_items",
]
