"""What a crawl tells about itself while it runs and when it closes: each shop's figures
(:mod:`.figures`), Prometheus gauges pushed at close (:mod:`.extension`, :mod:`.prometheus`) and the
crawl record's live progress (:mod:`.progress`)."""
