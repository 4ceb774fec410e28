"""A ``/metrics`` answer read with prometheus-client's own parser of the text format."""

from __future__ import annotations

from dataclasses import dataclass

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    """The samples of one scrape, by name and labels."""

    text: str
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        """Every sample of the exposition ``text``."""
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return cls(text, samples)

    @classmethod
    def of_app(cls, client: FlaskClient, **headers: str) -> Scrape:
        """``GET /metrics`` of the app behind ``client``, which must answer."""
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 200, response.text
        assert response.mimetype == "text/plain"
        return cls.parse(response.text)

    def value(self, name: str, **labels: str) -> float | None:
        """The sample ``name{labels}``; None when the scrape has none."""
        return self.samples.get((name, frozenset(labels.items())))

    def count(self, name: str, **labels: str) -> float:
        """The sample ``name{labels}`` of a counter, 0 when it was never incremented."""
        return self.value(name, **labels) or 0.0

    def labelled(self, name: str, label: str) -> dict[str, float]:
        """The samples of ``name`` by the value of ``label``."""
        return {
            dict(labels)[label]: value
            for (found, labels), value in self.samples.items()
            if found == name and label in dict(labels)
        }

    def families(self) -> set[str]:
        """The names of the metric families shown (``# TYPE`` lines), series with no samples
        included."""
        return {line.split()[2] for line in self.text.splitlines() if line.startswith("# TYPE ")}
