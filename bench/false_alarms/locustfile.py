"""Locustfile for the false-alarm corpus: fixtures/noise/target.py's endpoints in a mix that makes the
aggregate move with the request mix (issue: "the last false alarms").

Unlike the noise corpus' locustfile, the 404 probe counts as a failure (every request fails), the rate
limiter answers 429 to a third of /api/limited, and /api/flaky fails at the target's --flaky-rate.
"""
import random

from locust import HttpUser, between, task


class ApiUser(HttpUser):
    wait_time = between(0.1, 0.5)

    @task(3)
    def health(self):
        self.client.get("/health")

    @task(1)
    def missing(self):
        self.client.get("/missing/item", name="/missing/item")

    @task(4)
    def items(self):
        self.client.get("/api/items")

    @task(3)
    def search(self):
        self.client.get("/api/search?q=widget", name="/api/search")

    @task(1)
    def report(self):
        self.client.get("/api/report")

    @task(2)
    def orders(self):
        self.client.post("/api/orders", json={"sku": random.randint(1, 1000), "qty": 1})

    @task(2)
    def flaky(self):
        self.client.get("/api/flaky")

    @task(2)
    def limited(self):
        self.client.get("/api/limited")
