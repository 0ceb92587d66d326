"""dangjian: a party-building work platform for government organs (机关党建工作管理平台)."""

__version__ = "0.1.0"
