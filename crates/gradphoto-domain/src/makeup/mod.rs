//! Make-up shoots by appointment at the agency's branches (散拍/补拍, issue 8): the public
//! calendar that decides opening days, a service's hours and slots, and the booking rules.

pub mod booking;
pub mod calendar;
pub mod slots;
