"""52/53-week fiscal calendars: the NRF 4-5-4 retail calendar and a "last weekday" year end."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.system.revrec.engine import (
    CalendarMonths,
    Convention,
    Fiscal445,
    Fiscal5253,
    InvalidConventionError,
    InvalidPeriodError,
    YearEnd,
    ratable_schedule,
)

NRF = Fiscal5253(end_month=1, weekday=5, rule=YearEnd.NEAREST, label_offset=1, pattern=(4, 5, 4))


def test_nrf_53_week_years():
    """NRF, "4-5-4 Calendar" (nrf.com/resources/4-5-4-calendar), "An explanation of the 53-week year":
    a week is added every five to six years; it "has most recently occurred in FY'12 and FY'17 and
    will occur in FY'23" (the older NRF page adds FY'00 and FY'06). The NRF year ends on the Saturday
    nearest the end of January. FY2028 is a hand computation: Jan 31, 2029 is a Wednesday, so FY2028
    ends Sat Feb 3, 2029, 371 days after FY2027's end (Sat Jan 29, 2028; Jan 31, 2028 is a Monday)."""
    long_years = [y for y in range(1999, 2030) if NRF.weeks(y) == 53]
    assert long_years == [2000, 2006, 2012, 2017, 2023, 2028]


def test_nrf_fiscal_2023():
    """Coresight Research, "The 4-5-4 US Retail Calendar, 2023-24" (8 Dec 2022): the fiscal year
    ending February 3, 2024; "Fiscal 2023 comprises 53 weeks". Hand computation of the periods from
    the 4-5-4 rule: FY2022 ended Sat 28 Jan 2023 (Jan 31 was a Tuesday, 3 days after), so FY2023
    starts Sun 29 Jan 2023; February = 4 weeks (Jan 29 - Feb 25), March = 5 weeks (Feb 26 - Apr 1);
    January = 4 + 1 extra weeks, from Dec 31, 2023 to Feb 3, 2024."""
    assert NRF.year_end(2023) == date(2024, 2, 3)
    p1 = NRF.period_of(date(2023, 1, 29))
    assert (p1.key, p1.start, p1.end) == ("FY2023-P01", date(2023, 1, 29), date(2023, 2, 26))
    p2 = NRF.period_of(date(2023, 3, 15))
    assert (p2.key, p2.start, p2.end) == ("FY2023-P02", date(2023, 2, 26), date(2023, 4, 2))
    p12 = NRF.period_of(date(2024, 2, 3))
    assert (p12.key, p12.start, p12.end) == ("FY2023-P12", date(2023, 12, 31), date(2024, 2, 4))
    assert NRF.period_of(date(2024, 2, 4)).key == "FY2024-P01"


def test_schedule_over_a_53_week_year():
    """Hand computation: 53.00 over FY2023 (371 days) by exact days is 1.00 a week: 4-5-4 periods
    give 4, 5, 4 ... and the last period 4 + 1 = 5."""
    s = ratable_schedule(
        obligation_id="o",
        amount=5_300,
        currency="USD",
        start=date(2023, 1, 29),
        end=date(2024, 2, 3),
        convention=Convention(calendar=NRF),
    )
    assert s.amounts == (400, 500, 400) * 3 + (400, 500, 500)


def test_last_weekday_rule():
    """Hand computation: a year ending on the last Saturday of August: 31 Aug 2024 is a Saturday
    (FY2024 ends that day); in 2025 Aug 31 is a Sunday, so FY2025 ends Sat 30 Aug 2025 (52 weeks,
    364 days); in 2019 Aug 31 was a Saturday and 2018's last Saturday was Aug 25: FY2019 has 53 weeks."""
    cal = Fiscal5253(end_month=8, weekday=5, rule=YearEnd.LAST)
    assert cal.year_end(2024) == date(2024, 8, 31)
    assert cal.year_end(2025) == date(2025, 8, 30)
    assert cal.weeks(2025) == 52
    assert cal.year_end(2018) == date(2018, 8, 25) and cal.weeks(2019) == 53


def test_bad_calendar():
    with pytest.raises(InvalidConventionError):
        Fiscal5253(end_month=13, weekday=5)
    with pytest.raises(InvalidConventionError):
        Fiscal5253(end_month=1, weekday=5, pattern=(4, 4, 4))


@given(day=st.dates(min_value=date(1901, 1, 1), max_value=date(2198, 12, 31)),
       calendar=st.sampled_from([CalendarMonths(), NRF, Fiscal5253(end_month=8, weekday=5, rule=YearEnd.LAST),
                                 Fiscal5253(end_month=12, weekday=6, pattern=(5, 4, 4)),
                                 Fiscal445(year_start=date(1900, 12, 30), first_year=1901)]))
def test_a_period_is_found_again_by_its_key(day, calendar):
    """Property: the key of the period containing a day names that period, which contains the day and is
    followed without a gap by the next one."""
    period = calendar.period_of(day)
    assert calendar.by_key(period.key) == period
    assert period.start <= day < period.end
    assert calendar.period_of(period.end).start == period.end


@pytest.mark.parametrize(("calendar", "key"), [(CalendarMonths(), "2024-13"), (CalendarMonths(), "FY2024-P01"),
                                               (NRF, "2024-01"), (NRF, "FY2024-P13"),
                                               (Fiscal445(year_start=date(2023, 1, 1), first_year=2023),
                                                "FY2022-P12")])
def test_a_key_that_names_no_period(calendar, key):
    with pytest.raises(InvalidPeriodError):
        calendar.by_key(key)
