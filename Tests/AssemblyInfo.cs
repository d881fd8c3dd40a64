// Stack collections run one at a time by default: on 2 cores two stacks at once were CPU-bound (the main collection 267 s ->
// 527 s, the storm 263 s -> 570 s, later boots past their 2-minute limit; docs/testing.md). On a bigger machine:
//   TENANTASPIRE_TEST_STACKS=3 ./test.sh -- xUnit.ParallelizeTestCollections=true xUnit.MaxParallelThreads=-1
// StackSlots then bounds the stacks up at once and boots them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
