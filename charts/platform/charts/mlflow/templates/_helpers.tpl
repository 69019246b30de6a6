{{/*
Static prefix without a trailing slash ("" when served at the root).
*/}}
{{- define "mlflow.staticPrefix" -}}
{{- .Values.server.staticPrefix | trimSuffix "/" -}}
{{- end -}}

{{/*
Health endpoint: MLflow registers /health under the static prefix.
*/}}
{{- define "mlflow.healthPath" -}}
{{- printf "%s/health" (include "mlflow.staticPrefix" .) -}}
{{- end -}}

{{/*
Probe request: the health endpoint with a Host header the server allows.
*/}}
{{- define "mlflow.probeRequest" -}}
path: {{ include "mlflow.healthPath" . }}
port: http
httpHeaders:
  - name: Host
    value: localhost
{{- end -}}

{{/*
Database password Secret and key: the platform's "<release>-postgresql" with
"<user>-password" unless overridden.
*/}}
{{- define "mlflow.databasePasswordKey" -}}
{{- .Values.database.passwordKey | default (printf "%s-password" .Values.database.user) -}}
{{- end -}}

{{/*
SQLAlchemy URIs without host, user or password: libpq takes those from the
PG* environment variables, so no credential is ever rendered into an argument.
*/}}
{{- define "mlflow.backendStoreUri" -}}
{{- printf "%s:///%s" .Values.database.driver .Values.database.name -}}
{{- end -}}

{{- define "mlflow.authDatabaseUri" -}}
{{- printf "%s:///%s" .Values.database.driver .Values.auth.databaseName -}}
{{- end -}}

{{/*
Secret with the basic-auth admin password and the Flask secret key.
*/}}
{{- define "mlflow.authSecretName" -}}
{{- .Values.auth.existingSecret | default (include "common.componentName" (dict "context" . "component" "auth")) -}}
{{- end -}}

{{/*
Prometheus' login to /metrics while auth is on: a Secret with `username` and `password`.
*/}}
{{- define "mlflow.scrapeLogin" -}}
{{- and .Values.auth.enabled .Values.metrics.enabled | ternary "true" "" -}}
{{- end -}}

{{- define "mlflow.scrapeLoginSecretName" -}}
{{- .Values.metrics.scrapeLogin.existingSecret | default (include "common.componentName" (dict "context" . "component" "scrape-login")) -}}
{{- end -}}

{{/*
The troll classifier's login while auth is on (auth.modelLogin): a Secret with
`username` and `password`, for its serving and training pods.
*/}}
{{- define "mlflow.modelLogin" -}}
{{- and .Values.auth.enabled .Values.auth.modelLogin.enabled | ternary "true" "" -}}
{{- end -}}

{{- define "mlflow.modelLoginSecretName" -}}
{{- .Values.auth.modelLogin.existingSecret | default (include "common.componentName" (dict "context" . "component" "model-login")) -}}
{{- end -}}

{{/*
An init container that creates a login kept in a Secret, or gives it the Secret's
current password (files/ensure-login.py). dict: name, secret, admin (bool), context.
*/}}
{{- define "mlflow.loginInitContainer" -}}
{{- $ctx := .context -}}
- name: {{ .name }}
  image: {{ include "common.image" (dict "image" $ctx.Values.image "context" $ctx) }}
  imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
  command:
    - python
    - {{ printf "%s/ensure-login.py" (include "mlflow.authConfigPath" $ctx | dir) }}
    - {{ include "mlflow.authDatabaseUri" $ctx | quote }}
  {{- include "common.securityContext" (dict "securityContext" $ctx.Values.containerSecurityContext) | nindent 2 }}
  env:
    {{- include "mlflow.commonEnv" $ctx | nindent 4 }}
    - name: ADMIN_USERNAME
      value: {{ $ctx.Values.auth.adminUsername | quote }}
    - name: LOGIN_IS_ADMIN
      value: {{ .admin | quote }}
    {{- range $variable, $key := dict "LOGIN_USERNAME" "username" "LOGIN_PASSWORD" "password" }}
    - name: {{ $variable }}
      valueFrom:
        secretKeyRef:
          name: {{ $.secret }}
          key: {{ $key }}
    {{- end }}
  resources:
    {{- toYaml $ctx.Values.migration.resources | nindent 4 }}
  volumeMounts:
    {{- include "mlflow.scratchMounts" $ctx | nindent 4 }}
    - name: auth-config
      mountPath: {{ include "mlflow.authConfigPath" $ctx | dir }}
      readOnly: true
{{- end -}}

{{- define "mlflow.authConfigPath" -}}/etc/mlflow/auth/basic_auth.ini{{- end -}}

{{/*
Artifact storage.
*/}}
{{- define "mlflow.artifactClaimName" -}}
{{- .Values.artifacts.persistence.existingClaim | default (include "common.componentName" (dict "context" . "component" "artifacts")) -}}
{{- end -}}

{{- define "mlflow.artifactsDestination" -}}
{{- if and (include "mlflow.modelLogin" .) (not .Values.auth.modelLogin.existingSecret) (eq .Values.auth.modelLogin.username .Values.auth.adminUsername) -}}
{{- fail (printf "auth.modelLogin.username %q is auth.adminUsername: the model's login is a user of its own, choose another name" .Values.auth.modelLogin.username) -}}
{{- end -}}
{{- if eq .Values.artifacts.store "s3" -}}
{{- $s3 := .Values.artifacts.s3 -}}
{{- $bucket := required "artifacts.s3.bucket is required when artifacts.store is \"s3\"" $s3.bucket -}}
{{- $path := $s3.path | trimPrefix "/" | trimSuffix "/" -}}
{{- ternary (printf "s3://%s/%s" $bucket $path) (printf "s3://%s" $bucket) (ne $path "") -}}
{{- else -}}
{{- .Values.artifacts.persistence.mountPath -}}
{{- end -}}
{{- end -}}

{{/*
Access modes of the artifact PVC, as JSON: the configured ones; else those of
the claim that already exists (they are immutable); else ReadWriteOnce for one
replica and ReadWriteMany above one.
*/}}
{{- define "mlflow.artifactAccessModes" -}}
{{- $p := .Values.artifacts.persistence -}}
{{- $existing := lookup "v1" "PersistentVolumeClaim" .Release.Namespace (include "mlflow.artifactClaimName" .) -}}
{{- if $p.accessModes -}}
{{- toJson $p.accessModes -}}
{{- else if and $existing $existing.spec $existing.spec.accessModes -}}
{{- if and (gt (int .Values.replicas) 1) (not (has "ReadWriteMany" $existing.spec.accessModes)) -}}
{{- fail (printf "replicas: %d pods cannot share the artifact claim %q: it is %s. Move the artifacts to a ReadWriteMany claim (artifacts.persistence.existingClaim) or to S3 (artifacts.store), or keep replicas at 1" (int .Values.replicas) (include "mlflow.artifactClaimName" .) (join "," $existing.spec.accessModes)) -}}
{{- end -}}
{{- toJson $existing.spec.accessModes -}}
{{- else if gt (int .Values.replicas) 1 -}}
["ReadWriteMany"]
{{- else -}}
["ReadWriteOnce"]
{{- end -}}
{{- end -}}

{{/*
Deployment strategy: the configured one; else Recreate while a ReadWriteOnce
artifact volume would block a second pod, RollingUpdate otherwise.
*/}}
{{- define "mlflow.strategy" -}}
{{- include "common.volumeStrategy" (dict "strategy" .Values.strategy "persistent" (eq .Values.artifacts.store "pvc") "accessModes" (include "mlflow.artifactAccessModes" . | fromJsonArray)) -}}
{{- end -}}

{{/*
Ingress host and origin, when the Ingress is on.
*/}}
{{- define "mlflow.ingressHost" -}}
{{- if .Values.ingress.enabled -}}
{{- include "common.ingressHost" (dict "ingress" .Values.ingress "component" "mlflow" "context" .) -}}
{{- end -}}
{{- end -}}

{{- define "mlflow.ingressOrigin" -}}
{{- if .Values.ingress.enabled -}}
{{- include "common.ingressURL" (dict "ingress" .Values.ingress "component" "mlflow" "context" .) -}}
{{- end -}}
{{- end -}}

{{/*
--allowed-hosts: MLflow >= 3.5 answers 403 to any other Host header. The
Service under every DNS name a pod may use (with and without the port),
localhost (probes, kubectl port-forward), the Ingress host, private-network IPs
(Prometheus scrapes by pod IP) and the extra patterns.
*/}}
{{- define "mlflow.allowedHosts" -}}
{{- $svc := include "common.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- $port := .Values.service.ports.http | toString -}}
{{- $hosts := list -}}
{{- range (list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.clusterDomain)) -}}
{{- $hosts = append $hosts . -}}
{{- $hosts = append $hosts (printf "%s:%s" . $port) -}}
{{- end -}}
{{- $hosts = concat $hosts (list "localhost" "localhost:*" "127.0.0.1" "127.0.0.1:*") -}}
{{- with include "mlflow.ingressHost" . -}}
{{- $hosts = append $hosts . -}}
{{- end -}}
{{- if .Values.server.allowPrivateNetworkHosts -}}
{{- $hosts = concat $hosts (list "10.*" "192.168.*") -}}
{{- range $i := untilStep 16 32 1 -}}
{{- $hosts = append $hosts (printf "172.%d.*" $i) -}}
{{- end -}}
{{- $hosts = concat $hosts (list "[[]fc*" "[[]fd*") -}}
{{- end -}}
{{- concat $hosts .Values.server.allowedHosts | uniq | join "," -}}
{{- end -}}

{{- define "mlflow.corsAllowedOrigins" -}}
{{- $origins := list -}}
{{- with include "mlflow.ingressOrigin" . -}}
{{- $origins = append $origins . -}}
{{- end -}}
{{- concat $origins .Values.server.corsAllowedOrigins | uniq | join "," -}}
{{- end -}}

{{/*
Environment shared by every container: libpq connection settings (the
password only ever as a secretKeyRef), a writable HOME and telemetry.
*/}}
{{- define "mlflow.commonEnv" -}}
- name: PGHOST
  value: {{ include "common.databaseHost" . | quote }}
- name: PGPORT
  value: {{ .Values.database.port | quote }}
- name: PGUSER
  value: {{ .Values.database.user | quote }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "common.databaseSecret" . }}
      key: {{ include "mlflow.databasePasswordKey" . }}
{{- with .Values.database.sslMode }}
- name: PGSSLMODE
  value: {{ . | quote }}
{{- end }}
- name: MLFLOW_SQLALCHEMYSTORE_POOL_SIZE
  value: {{ .Values.database.pool.size | quote }}
- name: MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW
  value: {{ .Values.database.pool.maxOverflow | quote }}
- name: HOME
  value: /home/mlflow
{{- if .Values.server.disableTelemetry }}
- name: MLFLOW_DISABLE_TELEMETRY
  value: "true"
- name: DO_NOT_TRACK
  value: "true"
{{- end }}
{{- end -}}

{{/*
Environment of the basic-auth app.
*/}}
{{- define "mlflow.authEnv" -}}
- name: MLFLOW_AUTH_CONFIG_PATH
  value: {{ include "mlflow.authConfigPath" . }}
- name: MLFLOW_AUTH_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "mlflow.authSecretName" . }}
      key: admin-password
- name: MLFLOW_FLASK_SERVER_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "mlflow.authSecretName" . }}
      key: flask-secret-key
{{- end -}}

{{/*
Writable paths for the read-only root filesystem.
*/}}
{{- define "mlflow.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: home
  mountPath: /home/mlflow
{{- end -}}

{{/*
Pod annotations: a checksum that rolls the pods when the auth config changes,
Prometheus scrape hints, and the user's own. The generated auth Secret needs
no checksum: its values are kept across upgrades and never change.
*/}}
{{- define "mlflow.podAnnotations" -}}
{{- if .Values.auth.enabled }}
checksum/config: {{ include "common.checksum" (dict "context" . "template" "/configmap.yaml") }}
{{- end }}
{{- if .Values.metrics.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.containerPorts.http | quote }}
prometheus.io/path: /metrics
{{- if include "mlflow.scrapeLogin" . }}
# The monitoring chart scrapes pods with this annotation using MLflow's scrape login.
mlops-platform.io/scrape-login: mlflow
{{- end }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Checks that the schema cannot express; each failure names the key to set.
*/}}
{{- define "mlflow.validate" -}}
{{- if and (include "mlflow.scrapeLogin" .) (not .Values.metrics.scrapeLogin.existingSecret) (eq .Values.metrics.scrapeLogin.username .Values.auth.adminUsername) -}}
{{- fail (printf "metrics.scrapeLogin.username %q is auth.adminUsername: Prometheus' login is a user of its own, choose another name" .Values.metrics.scrapeLogin.username) -}}
{{- end -}}
{{- if eq .Values.artifacts.store "s3" -}}
{{- $_ := required "artifacts.s3.bucket is required when artifacts.store is \"s3\"" .Values.artifacts.s3.bucket -}}
{{- $_ = required "artifacts.s3.existingSecret is required when artifacts.store is \"s3\" (a Secret with the access key id and secret access key)" .Values.artifacts.s3.existingSecret -}}
{{- end -}}
{{- end -}}
