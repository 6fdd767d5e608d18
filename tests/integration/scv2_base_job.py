"""SCv2's base Job (tests/k6/configs/k8s/base/k6.yaml, suite section 2.2): the args it passes to
k6wrapper.sh run and its env block, as the suite has them (a value that is not a string is a
valueFrom), for the tests that run inferload with them and the one that checks configs/k8s."""

ARGS = ["--no-teardown", "--summary-export", "results/base.json", "--out", "csv=results/base.gz",
        "-u", "5", "-i", "100000", "-d", "120m", "scenarios/infer_constant_vu.js"]

ENV = {
    "REQUEST_RATE": "20",
    "CONSTANT_RATE_DURATION_SECONDS": "60",
    "USE_KUBE_CONTROL_PLANE": "true",
    "SCHEDULER_ENDPOINT": "${SCHEDULER_ENDPOINT}:9004",
    "INFER_HTTP_ITERATIONS": "1",
    "INFER_GRPC_ITERATIONS": "1",
    "MODELNAME_PREFIX": "tfsimplea,pytorch-cifar10a,tfmnista,mlflow-winea,irisa",
    "MODEL_TYPE": "tfsimple,pytorch_cifar10,tfmnist,mlflow_wine,iris",
    "MODEL_MEMORY_BYTES": "400k,8M,43M,200k,3M",
    "MAX_MEM_UPDATE_FRACTION": "0.1",
    "MAX_NUM_MODELS": "800,100,25,100,100",
    "INFER_BATCH_SIZE": "1,1,1,1,1",
    "WARMUP": "false",
    "GOOGLE_APPLICATION_CREDENTIALS": "/var/run/secret/cloud.google.com/k6-service-account.json",
    "GS_BUCKET_NAME": "gs://seldon-tmp/scv2-k6-results",
    "NAMESPACE": {"fieldRef": {"fieldPath": "metadata.namespace"}},
}

# What only the cluster gives a meaning to: the control plane's kind, the scheduler's address
# (filled in at deploy time), the GCS upload and the downward API.
CLUSTER_ONLY = {"USE_KUBE_CONTROL_PLANE", "SCHEDULER_ENDPOINT", "GOOGLE_APPLICATION_CREDENTIALS", "GS_BUCKET_NAME",
                "NAMESPACE"}
