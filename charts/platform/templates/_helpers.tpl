{{/*
Name of a component's in-cluster Service: "<release>-<component>".
*/}}
{{- define "platform.serviceName" -}}
{{- printf "%s-%s" .context.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Secret holding the PostgreSQL passwords (the generated one unless existingSecret is set).
*/}}
{{- define "platform.postgresqlSecret" -}}
{{- .Values.postgresql.auth.existingSecret | default (include "platform.serviceName" (dict "context" . "component" "postgresql")) -}}
{{- end -}}

{{/*
A `helm test` Pod: (dict "context" $ "component" "mlflow" "image" .Values.tests.curlImage
"command" (list ...) "env" (list ...)). Locked down like every workload; it
runs to completion, so it has no probes.
*/}}
{{- define "platform.testPod" -}}
{{- $ctx := .context -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ printf "%s-test-%s" $ctx.Release.Name .component | trunc 63 | trimSuffix "-" }}
  labels:
    {{- include "common.labels" (dict "context" $ctx "component" (printf "test-%s" .component)) | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  {{- include "common.imagePullSecrets" $ctx | nindent 2 }}
  {{- include "common.securityContext" (dict "securityContext" $ctx.Values.tests.podSecurityContext) | nindent 2 }}
  {{- with $ctx.Values.tests.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: check
      image: {{ include "common.image" (dict "image" .image "context" $ctx) }}
      imagePullPolicy: {{ .image.pullPolicy | default "IfNotPresent" }}
      command:
        {{- toYaml .command | nindent 8 }}
      {{- with .env }}
      env:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- include "common.securityContext" (dict "securityContext" $ctx.Values.tests.containerSecurityContext) | nindent 6 }}
      resources:
        {{- toYaml $ctx.Values.tests.resources | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir: {}
{{- end -}}

{{/*
How a user reaches a component: its ingress URL when enabled, else a
port-forward command. (dict "context" $ "component" "mlflow" "values" .Values.mlflow
"port" .Values.mlflow.service.ports.http "path" ""), optionally "service" (default: the component's) and
"localPort" (default: port).
*/}}
{{- define "platform.reachAt" -}}
{{- $ctx := .context -}}
{{- $ingress := .values.ingress | default dict -}}
{{- if $ingress.enabled -}}
{{- include "common.ingressURL" (dict "ingress" $ingress "component" .component "context" $ctx "path" .path) -}}
{{- else -}}
{{- $service := include "platform.serviceName" (dict "context" $ctx "component" (.service | default .component)) -}}
{{- $local := .localPort | default .port -}}
{{- printf "kubectl -n %s port-forward svc/%s %v:%v   then http://localhost:%v%s" $ctx.Release.Namespace $service $local .port $local .path -}}
{{- end -}}
{{- end -}}

{{/*
Command printing one key of a Secret.
*/}}
{{- define "platform.readSecret" -}}
{{- printf "kubectl -n %s get secret %s -o jsonpath='{.data.%s}' | base64 -d; echo" .context.Release.Namespace .secret (.key | replace "." "\\.") -}}
{{- end -}}

{{/*
The HTTPRoutes that attach to the release's own Gateway (enabled, no parentRefs of
their own), as a JSON list of {component, host}: one HTTPS listener each.
*/}}
{{- define "platform.gatewayRoutes" -}}
{{- $monitoring := .Values.monitoring -}}
{{- $candidates := list
  (dict "component" "mlflow" "on" .Values.mlflow.enabled "values" .Values.mlflow)
  (dict "component" "harbor" "on" .Values.harbor.enabled "values" .Values.harbor)
  (dict "component" "troll-classifier" "on" (index .Values "troll-classifier").enabled "values" (index .Values "troll-classifier"))
  (dict "component" "webapp" "on" .Values.webapp.enabled "values" .Values.webapp)
  (dict "component" "grafana" "on" (and $monitoring.enabled $monitoring.grafana.enabled) "values" $monitoring.grafana)
  (dict "component" "prometheus" "on" (and $monitoring.enabled $monitoring.prometheus.enabled) "values" $monitoring.prometheus) -}}
{{- $routes := list -}}
{{- range $candidates -}}
{{- $route := .values.httpRoute -}}
{{- if and .on $route.enabled (not $route.parentRefs) -}}
{{- $host := include "common.httpRouteHost" (dict "route" $route "ingress" .values.ingress "component" .component "context" $) -}}
{{- $routes = append $routes (dict "component" .component "host" $host) -}}
{{- end -}}
{{- end -}}
{{- toJson $routes -}}
{{- end -}}
