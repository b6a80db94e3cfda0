{{/* Labels shared by every object of a release. */}}
{{- define "goldenpath.selector" -}}
app.kubernetes.io/name: goldenpath
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "goldenpath.labels" -}}
{{ include "goldenpath.selector" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* Refuse configurations that cannot work. */}}
{{- define "goldenpath.validate" -}}
{{- if not (has .Values.database.kind (list "postgres" "sqlite")) }}
{{- fail (printf "database.kind must be postgres or sqlite, got %q" .Values.database.kind) }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) (ne .Values.database.kind "postgres") }}
{{- fail (printf "replicaCount %d needs database.kind postgres: replicas share the job queue and the fleet index, which SQLite in one pod cannot" (int .Values.replicaCount)) }}
{{- end }}
{{- if not .Values.existingSecret }}
{{- fail "existingSecret must name the Secret holding APP_ID, PRIVATE_KEY and WEBHOOK_SECRET" }}
{{- end }}
{{- end }}
