"""CloudWatch statistics over one period's samples."""

from __future__ import annotations

import pytest

from trailguard.errors import ConfigError
from trailguard.metrics import STATISTICS, aggregate
from trailguard.metrics.statistics import is_statistic, percentile_rank

# One period of a CIS-style filter with defaultValue 0: 1 match among 10 ingested events.
DILUTED = [1.0] + [0.0] * 9


class TestStandardStatistics:
    """Sum, Average, SampleCount, Minimum and Maximum."""

    @pytest.mark.parametrize(
        ("statistic", "expected"),
        [("Sum", 1.0), ("Average", 0.1), ("SampleCount", 10.0), ("Minimum", 0.0), ("Maximum", 1.0)],
    )
    def test_default_value_dilution(self, statistic: str, expected: float) -> None:
        """A defaultValue of 0 counts every non-matching event, as the spec's table says."""
        assert aggregate(statistic, DILUTED) == pytest.approx(expected)

    @pytest.mark.parametrize("statistic", STATISTICS)
    def test_empty_period_is_missing(self, statistic: str) -> None:
        """A period without samples has no datapoint, not 0."""
        assert aggregate(statistic, []) is None

    def test_matches_only(self) -> None:
        """Without a default every sample is the metric value, so only Sum and SampleCount count."""
        samples = [1.0, 1.0, 1.0]
        assert aggregate("Sum", samples) == 3.0
        assert aggregate("SampleCount", samples) == 3.0
        assert aggregate("Average", samples) == 1.0

    def test_sum_is_exact(self) -> None:
        """Sum does not drift on many small values."""
        assert aggregate("Sum", [0.1] * 10) == 1.0

    def test_result_is_float(self) -> None:
        """Integer samples still give a float."""
        assert isinstance(aggregate("Maximum", [3, 5]), float)


class TestPercentiles:
    """Extended statistics pNN and pNN.NN, by nearest rank."""

    @pytest.mark.parametrize(
        ("statistic", "expected"),
        [
            ("p0", 1.0),
            ("p10", 1.0),
            ("p11", 2.0),
            ("p50", 5.0),
            ("p90", 9.0),
            ("p95", 10.0),
            ("p100", 10.0),
        ],
    )
    def test_nearest_rank(self, statistic: str, expected: float) -> None:
        """pP is the smallest sample with at least P percent of the samples at or below it."""
        assert aggregate(statistic, [float(value) for value in range(10, 0, -1)]) == expected

    def test_decimal_percentile_is_exact(self) -> None:
        """p99.9 of 1000 samples is the 999th, without floating-point rounding up to the 1000th."""
        samples = [float(value) for value in range(1, 1001)]
        assert aggregate("p99.9", samples) == 999.0
        assert aggregate("p99.99", samples) == 1000.0

    def test_single_sample(self) -> None:
        """Any percentile of one sample is that sample."""
        assert aggregate("p1", [42.0]) == 42.0

    @pytest.mark.parametrize("statistic", ["p101", "p99.999", "P99", "p", "p-1", "tm90", "IQM"])
    def test_not_a_percentile(self, statistic: str) -> None:
        """Out-of-range, over-precise and trimmed statistics are not percentiles we compute."""
        assert percentile_rank(statistic) is None
        assert not is_statistic(statistic)


class TestUnknownStatistic:
    """A statistic CloudWatch does not have is a configuration error."""

    @pytest.mark.parametrize("statistic", ["sum", "Count", "tm90"])
    def test_rejected_even_without_samples(self, statistic: str) -> None:
        """The name is checked before the samples, so a typo never passes as missing data."""
        with pytest.raises(ConfigError, match="not supported"):
            aggregate(statistic, [])
