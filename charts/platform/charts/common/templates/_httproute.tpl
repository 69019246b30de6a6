{{/*
Gateway API HTTPRoutes (gateway.networking.k8s.io/v1), beside or instead of an Ingress.
A route carries no TLS: its Gateway's listeners terminate it.
*/}}

{{/*
Fail with a clear message when the cluster does not serve the Gateway API kind:
(dict "context" $ "kind" "HTTPRoute"). Offline, `helm template` needs
--api-versions gateway.networking.k8s.io/v1/<kind>.
*/}}
{{- define "common.requireGatewayAPI" -}}
{{- if not (.context.Capabilities.APIVersions.Has (printf "gateway.networking.k8s.io/v1/%s" .kind)) -}}
{{- fail (printf "the Gateway API is not installed: its CRDs (gateway.networking.k8s.io/v1 %s) are missing. Install its standard channel CRDs, or the Gateway API implementation that ships them, then install this chart" .kind) -}}
{{- end -}}
{{- end -}}

{{/*
The Gateways a route attaches to: httpRoute.parentRefs, else the Gateway named by
global.gateway (default "<release>-gateway", the one the umbrella chart can create,
in the release namespace). (dict "route" .Values.httpRoute "context" $), with
"component" for a component's route: on the Gateway the umbrella creates
(global.gateway.create) with TLS, it then attaches only to its HTTPS listener
"https-<component>" (plain HTTP redirects there).
*/}}
{{- define "common.httpRouteParentRefs" -}}
{{- $global := .context.Values.global | default dict -}}
{{- $gateway := $global.gateway | default dict -}}
{{- if .route.parentRefs -}}
{{- toYaml .route.parentRefs -}}
{{- else -}}
- group: gateway.networking.k8s.io
  kind: Gateway
  name: {{ $gateway.name | default (printf "%s-gateway" .context.Release.Name) | quote }}
  namespace: {{ $gateway.namespace | default .context.Release.Namespace | quote }}
  {{- if and .component $global.tlsIssuer $gateway.create }}
  sectionName: {{ printf "https-%s" .component | quote }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
Host name of a route: httpRoute.hostname, else the Ingress host rule (ingress.host,
else "<component>.<global.domain>"). (dict "route" .Values.httpRoute "ingress"
.Values.ingress "component" "mlflow" "context" $).
*/}}
{{- define "common.httpRouteHost" -}}
{{- $host := .route.hostname | default .ingress.host -}}
{{- include "common.ingressHost" (dict "ingress" (dict "host" $host) "component" .component "context" .context) -}}
{{- end -}}

{{/*
An HTTPRoute: (dict "route" .Values.httpRoute "ingress" .Values.ingress "component"
"mlflow" "context" $ "name" <object name> "labels" <labels YAML> "rules" (list (dict
"path" "/" "service" <Service name> "port" <Service port number>))). Path prefixes,
most specific first as written; a prefix ending in "/" is matched without it, so
"/api/" also takes "/api", as an Ingress Prefix path does.
*/}}
{{- define "common.httpRoute" -}}
{{- include "common.requireGatewayAPI" (dict "context" .context "kind" "HTTPRoute") -}}
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{ .name }}
  labels:
    {{- .labels | nindent 4 }}
  {{- with .route.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  parentRefs:
    {{- include "common.httpRouteParentRefs" . | nindent 4 }}
  hostnames:
    - {{ include "common.httpRouteHost" . | quote }}
  rules:
    {{- range .rules }}
    - matches:
        - path:
            type: PathPrefix
            value: {{ trimSuffix "/" .path | default "/" | quote }}
      backendRefs:
        - name: {{ .service | quote }}
          port: {{ .port }}
    {{- end }}
{{- end -}}
