"""The names the CLI offers as choices, kept in a module that imports nothing, so that `--help`
starts at once; the modules that implement them import their names from here."""

#: How data is printed (``--format``).
OUTPUT_FORMATS = ("table", "json", "csv")
#: The formats the readers know (``--input-format``; :mod:`admin.formats`).
DAY_FORMATS = ("csv", "parquet", "jsonl", "json", "zip")
#: What ``listens submit --unmapped`` does with plays of artists the catalogue does not know.
UNMAPPED_CHOICES = ("refuse", "keep")
#: The named anomaly checks (``month review --dispute``; :mod:`admin.anomalies`).
ANOMALY_CHECKS = ("over_24h", "overlapping_plays", "track_loops", "day_total_outlier", "account_farm",
                  "few_listener_artists")
