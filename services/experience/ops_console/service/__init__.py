"""The console's use cases: read from the process API, shape for people, check roles, audit what people ask."""

from services.experience.ops_console.service._close import contract_of
from services.experience.ops_console.service._console import ActionRefusedError, ConsoleService
from services.experience.ops_console.service._revenue import (
    MAX_PERIODS,
    PERIOD,
    default_range,
    periods_between,
    previous_period,
    revenue_csv,
)

__all__ = ["MAX_PERIODS", "PERIOD", "ActionRefusedError", "ConsoleService", "contract_of", "default_range",
           "periods_between", "previous_period", "revenue_csv"]
