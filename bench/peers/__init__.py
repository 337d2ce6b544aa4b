"""The sentinel's peers in bench.sentinel: Kafka Streams (kstreams.py) and Quix Streams (quix.py runs quix_filter.py)."""
