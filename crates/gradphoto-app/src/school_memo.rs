//! A university's row and departments as the check-in desk reads them on every scan (the
//! code's school, the department in the answer), kept in memory for a few seconds. Both
//! change rarely (a school's code never; a department's name by an admin's edit), and a
//! desk scanning hundreds of codes a minute would otherwise read them again per scan.

use std::collections::HashMap;
use std::sync::Arc;

use gradphoto_db::universities::{DepartmentRow, UniversityRow};

use crate::{App, AppError};

/// How long a read stays in use.
const FRESH_MS: i64 = 10_000;

type Entry = (Arc<UniversityRow>, Arc<Vec<DepartmentRow>>, i64);

#[derive(Debug, Default)]
pub struct SchoolMemo(std::sync::RwLock<HashMap<i64, Entry>>);

impl App {
    /// The university and its departments, read at most [`FRESH_MS`] ago.
    pub(crate) async fn school(
        &self,
        university_id: i64,
    ) -> Result<(Arc<UniversityRow>, Arc<Vec<DepartmentRow>>), AppError> {
        let now = gradphoto_db::now_ms();
        {
            let memo = self
                .school_memo
                .0
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((u, d, at)) = memo.get(&university_id)
                && now - at < FRESH_MS
            {
                return Ok((u.clone(), d.clone()));
            }
        }
        let u = Arc::new(self.db.get_university(university_id).await?);
        let d = Arc::new(self.db.list_departments(university_id).await?);
        self.school_memo
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(university_id, (u.clone(), d.clone(), now));
        Ok((u, d))
    }
}
