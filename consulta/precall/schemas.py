"""The entry page's report of one completed check run, validated at the edge (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The checks of the entry page; static/js/precall/verdict.js keeps the same list (CHECK_NAMES).
CheckName = Literal["browser", "camera", "microphone", "server", "bandwidth", "relay"]
Outcome = Literal["passed", "warned", "blocked"]

# Far above any home or office link, well inside an int: a figure beyond it is not a measurement.
MAX_KBPS = 10_000_000
MAX_RTT_MS = 600_000


class EntryCheckReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Outcome
    failed: list[CheckName] = Field(max_length=6)
    warned: list[CheckName] = Field(max_length=6)
    down_kbps: int | None = Field(ge=0, le=MAX_KBPS)
    up_kbps: int | None = Field(ge=0, le=MAX_KBPS)
    rtt_ms: int | None = Field(ge=0, le=MAX_RTT_MS)

    @model_validator(mode="after")
    def consistent(self) -> EntryCheckReport:
        if len(set(self.failed)) != len(self.failed) or len(set(self.warned)) != len(self.warned):
            raise ValueError("a check is named twice")
        if set(self.failed) & set(self.warned):
            raise ValueError("a check cannot both fail and only warn")
        if self.outcome == "passed" and (self.failed or self.warned):
            raise ValueError("a passed check run has nothing failed or warned")
        if self.outcome != "passed" and not (self.failed or self.warned):
            raise ValueError("a warned or blocked check run names what failed or warned")
        if self.outcome == "blocked" and not self.failed:
            raise ValueError("a blocked check run names what failed")
        return self
