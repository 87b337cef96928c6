{{- define "gajyeogagu.name" -}}gajyeogagu-operator{{- end -}}
{{- define "gajyeogagu.labels" -}}
app.kubernetes.io/name: {{ include "gajyeogagu.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
{{- define "gajyeogagu.selector" -}}
app.kubernetes.io/name: {{ include "gajyeogagu.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
