//! The OpenAPI 3.1 description of `/api`. Written by hand next to the handlers; an
//! integration test calls every documented operation so a route cannot go missing.

use axum::Json;
use serde_json::{Value, json};

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}})
}

fn q(name: &str, ty: &str, desc: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": ty}, "description": desc})
}

fn ok(schema: Value) -> Value {
    json!({
        "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
        "401": {"$ref": "#/components/responses/Unauthenticated"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"}
    })
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn arr(name: &str) -> Value {
    json!({"type": "array", "items": r(name)})
}

pub fn spec() -> Value {
    let error = json!({"content": {"application/json": {"schema": r("Error")}}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "gradphoto API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Graduation photo collection: universities, rosters, campaigns, eligibility and progress, and the on-site check-in desk. Errors carry a stable code and messages in Chinese and English."
        },
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": {
            "/session": {
                "post": {"summary": "Sign in; returns a bearer token", "security": [],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                    "responses": {"200": {"description": "Signed in", "content": {"application/json": {"schema": r("Session")}}}, "422": {"description": "Wrong credentials", "content": error["content"].clone()}, "429": {"description": "Too many failed attempts", "content": error["content"].clone()}}},
                "delete": {"summary": "Sign out", "responses": {"204": {"description": "Signed out"}}}
            },
            "/me": {"get": {"summary": "The signed-in account", "responses": ok(r("Me"))}},
            "/universities": {"get": {"summary": "Universities visible to the caller", "responses": ok(arr("University"))}},
            "/universities/{id}": {"get": {"summary": "A university with departments and campuses", "parameters": [id_param()], "responses": ok(r("UniversityView"))}},
            "/universities/{id}/students": {"get": {"summary": "Roster (ID numbers masked); secretaries see their department only",
                "parameters": [id_param(), q("department", "integer", "department id"), q("q", "string", "student number or name contains"), q("limit", "integer", "1-1000, default 100"), q("offset", "integer", "default 0")],
                "responses": ok(arr("Student"))}},
            "/universities/{id}/roster": {"post": {"summary": "Import a roster file (XLSX, XLS, CSV in UTF-8 or GBK). All-or-nothing.",
                "parameters": [id_param(), {"name": "X-Filename", "in": "header", "required": false, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": {"200": {"description": "Imported", "content": {"application/json": {"schema": r("ImportReport")}}},
                    "422": {"description": "Rejected; nothing changed. `rows` lists every bad row.", "content": error["content"].clone()},
                    "413": {"description": "File too large", "content": error["content"].clone()}}}},
            "/universities/{id}/campaigns": {
                "get": {"summary": "Campaigns of a university", "parameters": [id_param()], "responses": ok(arr("Campaign"))},
                "post": {"summary": "Create a campaign (draft)", "parameters": [id_param()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": r("CampaignInput")}}},
                    "responses": {"201": {"description": "Created", "content": {"application/json": {"schema": r("Campaign")}}}, "422": {"description": "Invalid", "content": error["content"].clone()}}}
            },
            "/campaigns/{id}": {"get": {"summary": "A campaign", "parameters": [id_param()], "responses": ok(r("Campaign"))}},
            "/campaigns/{id}/status": {"post": {"summary": "Open or close a campaign", "parameters": [id_param()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["to"], "properties": {"to": {"type": "string", "enum": ["open", "closed"]}}}}}},
                "responses": ok(r("Campaign"))}},
            "/campaigns/{id}/progress": {"get": {"summary": "Progress per department and the missing students", "parameters": [id_param(), q("department", "integer", "department id")], "responses": ok(r("Progress"))}},
            "/campaigns/{id}/students": {"get": {"summary": "Every student with verdict and reason", "parameters": [id_param(), q("department", "integer", "department id"), q("verdict", "string", "must | need_not | must_not | not_yet")], "responses": ok(arr("VerdictRow"))}},
            "/onsite/queues/{id}/checkins": {"post": {"summary": "Check a scanned collection code in on a queue (the desk): verified offline, matched to its roster student, given the queue's next shooting number. A rescan answers with the number the code already has, wherever it was numbered.",
                "parameters": [id_param()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string", "description": "The code text as scanned"}}}}}},
                "responses": {
                    "201": {"description": "Numbered now", "content": {"application/json": {"schema": r("Checkin")}}},
                    "200": {"description": "Numbered before (a rescan)", "content": {"application/json": {"schema": r("Checkin")}}},
                    "401": {"$ref": "#/components/responses/Unauthenticated"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                    "404": {"$ref": "#/components/responses/NotFound"},
                    "409": {"description": "The campaign is not open, or several roster students match the code", "content": error["content"].clone()},
                    "422": {"description": "Refused: no code, a forged, revoked or other school's code, not on the roster, not to be photographed, photographed already, or not registered where walk-ins are not taken", "content": error["content"].clone()}}}},
            "/onsite/queues/{id}/station": {"get": {"summary": "The photographer's station (gradphoto station, a tethered camera's tools): the number at the camera with its masked name and photo, the next numbers, how many wait and how many confirmed",
                "parameters": [id_param()],
                "responses": {"200": {"description": "The station", "content": {"application/json": {"schema": r("Station")}}},
                    "401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
            "/onsite/queues/{id}/station/photo": {"post": {"summary": "A photo for the number at the camera: checked and standardized at once. It names the number it was taken for; if the camera has moved on it is refused, so a late file never lands on the next student.",
                "parameters": [id_param()],
                "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["number", "photo"], "properties": {
                    "number": {"type": "integer", "description": "The shooting number the photo was taken for"},
                    "photo": {"type": "string", "format": "binary", "description": "JPEG or PNG"},
                    "background": {"type": "string", "enum": ["blue", "white", "grey"], "description": "default blue"},
                    "source": {"type": "string", "enum": ["upload", "webcam", "hot_folder"]}}}}}},
                "responses": {
                    "201": {"description": "Bound to the number, with the engine's verdict", "content": {"application/json": {"schema": {"type": "object", "properties": {"bound": {"type": "boolean"}, "number": {"type": "integer"}, "photo_id": {"type": "integer"}, "verdict": {"type": "string", "enum": ["accept", "review"]}, "reasons": {"type": "array", "items": r("Reason")}}}}}},
                    "401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
                    "409": {"description": "The number is not at the camera (it moved on), or its photo is confirmed", "content": error["content"].clone()},
                    "422": {"description": "No number, or the photo cannot be made standard (bound false, with the reasons: retake)", "content": error["content"].clone()}}}},
            "/onsite/queues/{id}/offline": {"post": {"summary": "Hand the queue to an offline station (gradphoto station --server URL) before the day: the server stops numbering it and answers the pack the station works from with no network — the session and queue (last number and turn), the campaign's rules for walk-ins, the registry's public keys and revocation list, and the students it may meet (masked)",
                "parameters": [id_param()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["station", "store"], "properties": {"station": {"type": "string", "description": "The station's name"}, "store": {"type": "string", "description": "The random id of the station's own database: only that store may push or release"}}}}}},
                "responses": {"200": {"description": "The pack", "content": {"application/json": {"schema": r("StationPack")}}},
                    "401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
                    "409": {"description": "Another station holds the queue, or the campaign is not open", "content": error["content"].clone()}}}},
            "/onsite/queues/{id}/offline/push": {"post": {"summary": "The station pushes what it did offline (one or more numbers with their photos and confirmations) when the network returns. Idempotent: a number pushed twice is recorded once; a code or student numbered elsewhere is kept apart as a conflict for an admin, never merged.",
                "parameters": [id_param()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["station", "store", "checkins"], "properties": {"station": {"type": "string"}, "store": {"type": "string"}, "checkins": arr("PushCheckin")}}}}},
                "responses": {"200": {"description": "One answer per pushed number", "content": {"application/json": {"schema": {"type": "object", "properties": {"answers": arr("PushAnswer")}}}}},
                    "401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
                    "409": {"description": "The queue is not held by this store", "content": error["content"].clone()}}}},
            "/onsite/queues/{id}/offline/release": {"post": {"summary": "The station gives the queue back to the server after its last push; the server numbers it again from the station's last number",
                "parameters": [id_param()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["store"], "properties": {"store": {"type": "string"}}}}}},
                "responses": {"200": {"description": "Whether the queue was released", "content": {"application/json": {"schema": {"type": "object", "properties": {"released": {"type": "boolean"}}}}}},
                    "401": {"$ref": "#/components/responses/Unauthenticated"}, "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"}}}}
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "gp_session", "description": "Browser session; state-changing requests also need the X-CSRF-Token header matching the gp_csrf cookie."}
            },
            "responses": {
                "Unauthenticated": {"description": "Not signed in", "content": error["content"].clone()},
                "Forbidden": {"description": "Outside the caller's university or department", "content": error["content"].clone()},
                "NotFound": {"description": "Not found", "content": error["content"].clone()}
            },
            "schemas": {
                "Msg": {"type": "object", "required": ["code", "zh", "en"], "properties": {"code": {"type": "string"}, "zh": {"type": "string"}, "en": {"type": "string"}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": r("Msg"), "rows": {"type": "array", "items": r("RowError")}}},
                "RowError": {"type": "object", "properties": {"row": {"type": "integer"}, "column": {"type": ["string", "null"]}, "msg": r("Msg")}},
                "Session": {"type": "object", "properties": {"token": {"type": "string"}, "username": {"type": "string"}, "role": {"type": "string"}, "university_id": {"type": ["integer", "null"]}, "department_id": {"type": ["integer", "null"]}}},
                "Me": {"type": "object", "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"}, "role": {"type": "string", "enum": ["registry_operator", "agency_admin", "agency_photographer", "university_admin", "department_secretary"]}, "university_id": {"type": ["integer", "null"]}, "department_id": {"type": ["integer", "null"]}}},
                "University": {"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}, "created_at": {"type": "integer", "description": "Unix ms"}}},
                "Department": {"type": "object", "properties": {"id": {"type": "integer"}, "university_id": {"type": "integer"}, "name": {"type": "string"}, "code": {"type": ["string", "null"]}}},
                "UniversityView": {"type": "object", "properties": {"university": r("University"), "departments": arr("Department"), "campuses": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "university_id": {"type": "integer"}, "name": {"type": "string"}}}}}},
                "Student": {"type": "object", "properties": {"id": {"type": "integer"}, "department_id": {"type": "integer"}, "student_no": {"type": "string"}, "name": {"type": "string"}, "id_type": {"type": "string"}, "id_masked": {"type": "string"}, "id_number": {"type": "string", "description": "Full number; present for the registry operator only (audited)"}, "level": {"type": "string"}, "cert_type": {"type": "string"}, "grad_kind": {"type": "string"}, "expected_graduation": {"type": "string"}, "campus": {"type": ["string", "null"]}, "major": {"type": ["string", "null"]}}},
                "ImportReport": {"type": "object", "properties": {"rows": {"type": "integer"}, "inserted": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"}, "file_sha256": {"type": "string"}}},
                "CampaignInput": {"type": "object", "required": ["name", "target_terms", "levels"], "properties": {
                    "name": {"type": "string"}, "cohort": {"type": "string"}, "target_terms": {"type": "string", "description": "e.g. \"2024-01, 2024-07\""},
                    "levels": {"type": "array", "items": {"type": "string", "enum": ["associate", "bachelor", "master", "doctor"]}},
                    "prior_void_on_or_before": {"type": "string", "format": "date"}, "exclude_single_certificate": {"type": "boolean"}, "exclude_overseas_class": {"type": "boolean"}, "international_only": {"type": "boolean"},
                    "onsite_from": {"type": "string"}, "onsite_to": {"type": "string"}, "online_from": {"type": "string"}, "online_to": {"type": "string"}, "makeup_deadline": {"type": "string"}, "makeup_recommended_by": {"type": "string", "description": "The date make-up shoots are recommended by (on or before makeup_deadline), or empty"}, "makeup_cities": {"type": "string", "description": "Cities whose agency branches count for make-up shoots, comma-separated; empty means any"}, "department_downloads": {"type": "boolean", "description": "Department staff may download a zip of their students' electronic photos"},
                    "registration_deadline": {"type": "string"}, "walk_ins": {"type": "boolean"}, "any_window": {"type": "boolean"},
                    "fee_at_desk": {"type": "boolean", "description": "Students pay the on-site fee at the desk with WeChat Pay or Alipay (otherwise class liaisons collect it)"},
                    "fee_yuan": {"type": "string", "description": "default 20"}, "contacts": {"type": "string"}}},
                "Campaign": {"type": "object", "properties": {"id": {"type": "integer"}, "university_id": {"type": "integer"}, "name": {"type": "string"}, "cohort": {"type": "string"}, "rules": {"type": "object"}, "modes": {"type": "object"}, "fee_fen": {"type": "integer"}, "contacts": {"type": "string"}, "status": {"type": "string", "enum": ["draft", "open", "closed"]}}},
                "DepartmentProgress": {"type": "object", "properties": {"department_id": {"type": "integer"}, "department": {"type": "string"}, "students": {"type": "integer"}, "eligible": {"type": "integer"}, "collected": {"type": "integer"}, "missing": {"type": "integer"}, "exempt": {"type": "integer"}, "not_yet": {"type": "integer"}}},
                "VerdictRow": {"type": "object", "properties": {"student": r("Student"), "verdict": {"type": ["string", "null"], "enum": ["must", "need_not", "must_not", "not_yet", null]}, "reason_code": {"type": ["string", "null"]}, "reason_zh": {"type": ["string", "null"]}, "reason_en": {"type": ["string", "null"]}, "collected": {"type": "boolean"}}},
                "Checkin": {"type": "object", "required": ["number", "new", "queue_id", "queue", "student_no", "name_masked", "department", "walk_in"], "properties": {"number": {"type": "integer", "description": "The shooting number (拍摄号) in its queue"}, "new": {"type": "boolean", "description": "false for a rescan"}, "queue_id": {"type": "integer"}, "queue": {"type": "string", "description": "The queue's name, e.g. 105"}, "student_no": {"type": "string"}, "name_masked": {"type": "string"}, "department": {"type": "string"}, "walk_in": {"type": "boolean", "description": "Numbered now without having registered"}}},
                "Progress": {"type": "object", "properties": {"campaign": r("Campaign"), "departments": arr("DepartmentProgress"), "total": r("DepartmentProgress"), "missing": arr("VerdictRow")}},
                "Reason": {"type": "object", "properties": {"code": {"type": "string", "description": "A stable reason code of the photo engine, e.g. face.too_small"}, "zh": {"type": "string"}, "en": {"type": "string"}, "measured": {}, "limit": {}}},
                "Station": {"type": "object", "properties": {"queue_id": {"type": "integer"}, "queue": {"type": "string"}, "current": {"type": ["object", "null"], "properties": {"number": {"type": "integer"}, "stage": {"type": "string", "enum": ["waiting", "called", "photographed", "confirmed"]}, "name_masked": {"type": "string"}, "student_no": {"type": "string"}, "photo_id": {"type": ["integer", "null"]}, "verdict": {"type": ["string", "null"]}}}, "next": {"type": "array", "items": {"type": "integer"}}, "waiting": {"type": "integer"}, "confirmed": {"type": "integer"}}},
                "StationPack": {"type": "object", "properties": {"station": {"type": "string"}, "made_at": {"type": "integer", "description": "Unix ms"}, "campaign_id": {"type": "integer"}, "campaign_name": {"type": "string"}, "walk_ins": {"type": "boolean"}, "school_code": {"type": "string"},
                    "session": {"type": "object", "properties": {"id": {"type": "integer"}, "campus": {"type": "string"}, "place": {"type": "string"}, "day": {"type": "string", "format": "date"}, "starts": {"type": "string"}, "ends": {"type": "string"}}},
                    "queue": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "last_number": {"type": "integer"}, "last_turn": {"type": "integer"}}},
                    "keys_json": {"type": "string", "description": "The registry's public key set with its revocation list, as published"}, "keys_fetched_at": {"type": "integer"},
                    "students": {"type": "array", "items": {"type": "object", "properties": {"student_id": {"type": "integer"}, "student_no": {"type": "string"}, "department": {"type": "string"}, "level": {"type": "string"}, "graduation_year": {"type": "integer"}, "name_masked": {"type": "string"}, "id_masked": {"type": "string"}, "eligible": {"type": "boolean"}, "registered": {"type": "boolean"}, "photographed": {"type": "boolean"}, "numbered_elsewhere": {"type": ["object", "null"], "properties": {"queue": {"type": "string"}, "number": {"type": "integer"}}}}}}}},
                "PushCheckin": {"type": "object", "required": ["reference", "number", "turn", "code_text", "student_id", "desk", "checked_in_at"], "properties": {"reference": {"type": "string", "description": "The station's own reference, unique for ever"}, "number": {"type": "integer"}, "turn": {"type": "integer"}, "code_text": {"type": "string"}, "student_id": {"type": "integer"}, "desk": {"type": "string"}, "checked_in_at": {"type": "integer"}, "confirmed_at": {"type": ["integer", "null"]},
                    "photo": {"type": ["object", "null"], "properties": {"reference": {"type": "string"}, "verdict": {"type": "string", "enum": ["accept", "review"]}, "reasons_json": {"type": "string"}, "background": {"type": "string"}, "source": {"type": "string"}, "taken_by": {"type": "string"}, "taken_at": {"type": "integer"}, "standard_b64": {"type": "string"}, "original_b64": {"type": "string"}}}}},
                "PushAnswer": {"type": "object", "properties": {"reference": {"type": "string"}, "outcome": {"type": "string", "enum": ["recorded", "already_had", "conflict"]}, "zh": {"type": "string"}, "en": {"type": "string"}}}
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
