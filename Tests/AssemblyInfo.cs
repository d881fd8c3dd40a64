// End-to-end tests boot whole stacks (Postgres, Redis, four .NET processes) on 2 cores: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
