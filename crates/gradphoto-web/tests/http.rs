//! The HTTP edge end to end: the real router on a random port (testkit), on SQLite and,
//! where storage matters, on PostgreSQL too. Sign-in and sessions, CSRF, the access
//! policy for every demo role, roster import, campaigns and the dashboard, the OpenAPI
//! document, health and metrics, and the interface language.

#[path = "http/auth.rs"]
mod auth;
#[path = "http/csrf.rs"]
mod csrf;
#[path = "http/dashboard.rs"]
mod dashboard;
#[path = "http/electronic_photo.rs"]
mod electronic_photo;
#[path = "http/import.rs"]
mod import;
#[path = "http/lang.rs"]
mod lang;
#[path = "http/makeup.rs"]
mod makeup;
#[path = "http/makeup_branch.rs"]
mod makeup_branch;
#[path = "http/makeup_calendar.rs"]
mod makeup_calendar;
#[path = "http/makeup_payment.rs"]
mod makeup_payment;
#[path = "http/makeup_support.rs"]
mod makeup_support;
#[path = "http/manage.rs"]
mod manage;
#[path = "http/onsite_desk.rs"]
mod onsite_desk;
#[path = "http/onsite_desk_camera.rs"]
mod onsite_desk_camera;
#[path = "http/onsite_desk_fee.rs"]
mod onsite_desk_fee;
#[path = "http/onsite_in_service.rs"]
mod onsite_in_service;
#[path = "http/onsite_make_up_list.rs"]
mod onsite_make_up_list;
#[path = "http/onsite_offline.rs"]
mod onsite_offline;
#[path = "http/onsite_offline_fee.rs"]
mod onsite_offline_fee;
#[path = "http/onsite_plan.rs"]
mod onsite_plan;
#[path = "http/onsite_registration.rs"]
mod onsite_registration;
#[path = "http/onsite_registration_xls.rs"]
mod onsite_registration_xls;
#[path = "http/onsite_station.rs"]
mod onsite_station;
#[path = "http/onsite_support.rs"]
mod onsite_support;
#[path = "http/onsite_two_servers.rs"]
mod onsite_two_servers;
#[path = "http/openapi.rs"]
mod openapi;
#[path = "http/order_shipping.rs"]
mod order_shipping;
#[path = "http/orders.rs"]
mod orders;
#[path = "http/pay_live.rs"]
mod pay_live;
#[path = "http/policy.rs"]
mod policy;
#[path = "http/prints.rs"]
mod prints;
#[path = "http/sms_aliyun.rs"]
mod sms_aliyun;
#[path = "http/student.rs"]
mod student;
#[path = "http/student_centre.rs"]
mod student_centre;
#[path = "http/student_pay.rs"]
mod student_pay;
#[path = "http/student_photo.rs"]
mod student_photo;
#[path = "http/student_steps.rs"]
mod student_steps;
#[path = "http/support.rs"]
mod support;
