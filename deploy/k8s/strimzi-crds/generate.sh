#!/usr/bin/env bash
# Regenerate the Strimzi CRDs in this directory from Strimzi's artifacts on Maven Central.
#
# Strimzi publishes its API model (io.strimzi:api) and the generator of its CRDs
# (io.strimzi:crd-generator), not the CRD files; this runs the generator over the model with
# the arguments of Strimzi's own build, which writes the files Strimzi ships in
# packaging/install/cluster-operator/. Needs Maven and Java 21 or later (the generator's class
# files); set JAVA_HOME to one if `java` is older. Usage: bash deploy/k8s/strimzi-crds/generate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jars="$(mktemp -d)"
trap 'rm -rf "$jars"' EXIT

mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$jars"
model=io.strimzi.api.kafka.model
"$java" -cp "$jars/*" io.strimzi.crdgenerator.CrdGenerator \
  --label app:strimzi --label strimzi.io/crd-install:true \
  --target-kube 1.16+ --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
  "$model.kafka.Kafka=$here/040-Crd-kafka.yaml" \
  "$model.topic.KafkaTopic=$here/043-Crd-kafkatopic.yaml" \
  "$model.user.KafkaUser=$here/044-Crd-kafkauser.yaml" \
  "$model.nodepool.KafkaNodePool=$here/045-Crd-kafkanodepool.yaml"
echo "wrote the Kafka, KafkaTopic, KafkaUser and KafkaNodePool CRDs of Strimzi $(sed -n 's:.*<strimzi.version>\(.*\)</strimzi.version>.*:\1:p' "$here/pom.xml") to $here"
