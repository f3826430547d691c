"""Certificate items other than the values (ISO Guide 31:2015; JJF 1186-2018 items, GLOSSARY.md §1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .validity import ValidityPeriod


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateMetadata:
    """Certificate items other than the values (ISO Guide 31:2015; JJF 1186-2018 items, GLOSSARY.md §1).

    Free text is used as given (it is HTML-escaped on the page and XML-escaped in the DRMD).
    ``minimum_sample_intake`` is a number in ``minimum_sample_intake_unit``.
    """

    material: str
    producer: str
    rm_number: str = ""  # 标准物质编号, e.g. GBW07401
    lot: str = ""  # 批号
    certificate_id: str = ""
    description: str = ""  # 标准物质描述
    intended_use: str = ""  # 预期用途
    storage: str = ""  # 储存条件
    instructions: str = ""  # 使用说明
    traceability: str = ""  # 计量溯源性声明
    homogeneity_stability: str = ""  # 均匀性及稳定性说明
    safety: str = ""  # 安全信息
    minimum_sample_intake: float | None = None  # 最小取样量
    minimum_sample_intake_unit: str = "g"
    certification_date: str = ""  # 定值日期, YYYY-MM-DD
    validity: ValidityPeriod | None = None
    producer_address: str = ""
    producer_city: str = ""
    producer_country_code: str = ""  # ISO 3166 alpha-2, e.g. CN, DE
    producer_email: str = ""
    approver: str = ""
    approver_role: str = ""
    methods: str = ""  # 定值方法
    language: str = "en"  # language of the free text above (DRMD lang attribute)

    # items Guide 31 / DRMD v0.3.0 need on every certificate
    REQUIRED = ("material", "producer", "intended_use", "storage", "instructions", "minimum_sample_intake")

    def missing(self) -> list[str]:
        """Names of required items that are empty."""
        out = []
        for k in self.REQUIRED:
            v = getattr(self, k)
            if v is None or (isinstance(v, str) and not v.strip()):
                out.append(k)
        return out

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> CertificateMetadata:
        """Build from a parameter-file mapping; unknown keys raise InputError naming them."""
        names = [f for f in cls.__dataclass_fields__ if f != "REQUIRED"]
        unknown = set(d) - set(names)
        if unknown:
            raise InputError(
                f"unknown certificate item(s): {', '.join(sorted(unknown))}",
                key="certificate",
                hint=f"use {', '.join(names)}",
            )
        kw = dict(d)
        if kw.get("minimum_sample_intake") is not None:
            kw["minimum_sample_intake"] = float(kw["minimum_sample_intake"])
        return cls(**kw)
