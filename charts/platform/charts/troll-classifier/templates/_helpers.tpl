{{/*
Component label of every object of this chart.
*/}}
{{- define "troll-classifier.component" -}}
server
{{- end -}}

{{/*
Image reference of (dict "image" <image values> "context" $): the tag defaults to the
chart's appVersion (the CI tags the serving and training images with the model-service
version). global.imageRegistry still wins.
*/}}
{{- define "troll-classifier.image" -}}
{{- $image := merge (dict "tag" (.image.tag | default .context.Chart.AppVersion)) (omit .image "tag") -}}
{{- include "common.image" (dict "image" $image "context" .context) -}}
{{- end -}}

{{/*
MLflow basic-auth credentials from model.registry.auth.existingSecret, as env entries
(nothing without the Secret): the serving pods and the training pods log in alike.
*/}}
{{- define "troll-classifier.mlflowAuthEnv" -}}
{{- with .Values.model.registry.auth }}
{{- if .existingSecret }}
{{- $secret := tpl .existingSecret $ }}
- name: MLFLOW_TRACKING_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .usernameKey }}
- name: MLFLOW_TRACKING_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .passwordKey }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
MLflow tracking URI for model.source=registry: the value, else the platform's
MLflow Service "<release>-mlflow" on model.registry.mlflowServicePort.
*/}}
{{- define "troll-classifier.trackingUri" -}}
{{- .Values.model.registry.trackingUri | default (include "common.mlflowURL" (dict "context" . "port" .Values.model.registry.mlflowServicePort)) -}}
{{- end -}}

{{/*
Replicas the chart guarantees: autoscaling.minReplicas under the HPA, else replicas.
*/}}
{{- define "troll-classifier.minReplicas" -}}
{{- ternary .Values.autoscaling.minReplicas .Values.replicas .Values.autoscaling.enabled | int -}}
{{- end -}}

{{/*
Replicas the Deployment may reach: autoscaling.maxReplicas under the HPA, else replicas.
*/}}
{{- define "troll-classifier.maxReplicas" -}}
{{- ternary .Values.autoscaling.maxReplicas .Values.replicas .Values.autoscaling.enabled | int -}}
{{- end -}}

{{/*
Cross-field checks the schema cannot express; each failure names the keys.
*/}}
{{- define "troll-classifier.validate" -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if and (eq .Values.model.source "baked") (eq .Values.image.repository "mlops-platform/troll-classifier") -}}
{{- fail "model.source baked needs an image with the model in it: image.repository is the generic serving image, which has none; set it to your image built from a Bento (model_service/Dockerfile), or use model.source registry" -}}
{{- end -}}
{{- $paths := list "/tmp" (clean .Values.server.bentomlHome) (clean .Values.server.hfHome) -}}
{{- if ne (len ($paths | uniq)) 3 -}}
{{- fail "server.bentomlHome and server.hfHome must be distinct paths other than /tmp" -}}
{{- end -}}
{{- end -}}

{{/*
The pod template of a training run (first-champion Job, continuous-training CronJob):
(dict "context" $ "args" (list "retrain" ...)). It reads the labelled comments table,
talks to MLflow as the serving pods do, and lands on training nodes.
*/}}
{{- define "troll-classifier.trainingPod" -}}
{{- $ctx := .context -}}
{{- $t := $ctx.Values.training -}}
metadata:
  labels:
    {{- include "common.labels" (dict "context" $ctx "component" "training") | nindent 4 }}
spec:
  restartPolicy: Never
  {{- include "common.podServiceAccount" (dict "serviceAccount" $ctx.Values.serviceAccount "context" $ctx) | nindent 2 }}
  {{- with (include "common.imagePullSecrets" $ctx) }}
  {{- . | trim | nindent 2 }}
  {{- end }}
  {{- include "common.securityContext" (dict "securityContext" $ctx.Values.podSecurityContext) | nindent 2 }}
  {{- with $t.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $t.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $t.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: training
      image: {{ include "troll-classifier.image" (dict "image" $t.image "context" $ctx) }}
      imagePullPolicy: {{ $t.image.pullPolicy }}
      command: ["python", "-m", "model_service"]
      args:
        {{- toYaml .args | nindent 8 }}
      {{- include "common.securityContext" (dict "securityContext" $ctx.Values.containerSecurityContext) | nindent 6 }}
      env:
        - name: MLFLOW_TRACKING_URI
          value: {{ include "troll-classifier.trackingUri" $ctx | quote }}
        - name: TROLL_MODEL_NAME
          value: {{ $ctx.Values.model.registry.name | quote }}
        - name: TROLL_ALIAS
          value: {{ $ctx.Values.model.registry.alias | quote }}
        - name: TROLL_DEPENDENCY_WAIT_SECONDS
          value: {{ $t.dependencyWaitSeconds | quote }}
        - name: TROLL_GATE_MIN_F1
          value: {{ $t.gate.minF1 | quote }}
        - name: TROLL_GATE_MAX_DROP
          value: {{ $t.gate.maxDrop | quote }}
        - name: TROLL_GATE_MAX_NEUTRAL_FPR
          value: {{ $t.gate.maxNeutralFPR | quote }}
        - name: TROLL_GATE_MAX_SLICE_DROP
          value: {{ $t.gate.maxSliceDrop | quote }}
        - name: TROLL_TARGET_NEUTRAL_FPR
          value: {{ $t.targetNeutralFPR | quote }}
        # The password comes from PGPASSWORD (libpq), never from the URL.
        - name: TROLL_DATASET_URL
          value: {{ printf "postgresql://%s@%s:%d/%s" $t.dataset.user ($t.dataset.host | default (printf "%s-postgresql" $ctx.Release.Name)) (int $t.dataset.port) $t.dataset.name | quote }}
        - name: PGPASSWORD
          valueFrom:
            secretKeyRef:
              name: {{ $t.dataset.existingSecret | default (printf "%s-postgresql" $ctx.Release.Name) }}
              key: {{ $t.dataset.passwordKey | default (printf "%s-password" $t.dataset.user) }}
        {{- include "troll-classifier.mlflowAuthEnv" $ctx | nindent 8 }}
        - name: HOME
          value: /tmp
        - name: HF_HUB_OFFLINE
          value: "1"
        - name: DO_NOT_TRACK
          value: "true"
        - name: MLFLOW_DISABLE_TELEMETRY
          value: "true"
      resources:
        {{- toYaml $t.resources | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ $ctx.Values.scratch.tmpSizeLimit }}
{{- end -}}
